"""Sending over a channel this deployment does not offer is 501 (it was 503, a server error
promising the channel soon, which the fuzzer reported), and writes nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.hardening.conftest import ADMIN, issued


@pytest.mark.parametrize("route", ["send-whatsapp", "send-combined"])
async def test_whatsapp_without_a_provider_is_not_implemented(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: dict[str, str], route: str
) -> None:
    invoice = await issued(factory, tenant["id"])
    response = await client.post(
        f"{ADMIN}/invoices/{invoice['id']}/{route}",
        json={"phone": "+254 712 345 678"},
        headers=tokens.admin(),
    )
    assert response.status_code == 501, response.text
    assert response.json()["error"]["code"] == "whatsapp_not_configured"
    listed = await client.get(
        f"{ADMIN}/invoices/{invoice['id']}/deliveries", headers=tokens.admin()
    )
    assert listed.json()["data"] == []
    shown = await client.get(f"{ADMIN}/invoices/{invoice['id']}", headers=tokens.admin())
    assert shown.json()["data"]["status"] == "issued"
