"""Without a Daraja initiator nothing can confirm a C2B payment: it is held for
reconciliation, listed for staff, and never applied from the body alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from billing.config import Settings
from tests.fixtures.auth import Tokens
from tests.payments.checkout.conftest import LiveStack, live_stack, processed
from tests.payments.checkout.test_c2b import customer_pays
from tests.payments.checkout.test_mpesa import invoice_state, kes_invoice

pytestmark = pytest.mark.usefixtures("checkout_ready")


@pytest.fixture(scope="module")
def live(database_url: str, settings: Settings) -> Iterator[LiveStack]:
    """The stack with M-Pesa configured for STK pushes only (no initiator)."""
    with live_stack(database_url, settings, initiator=False) as stack:
        yield stack


async def test_an_unconfirmable_c2b_payment_is_held_for_reconciliation(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    invoice = await kes_invoice(http, tokens, "100")
    trans_id, status = await customer_pays(live, invoice, amount="100")
    assert status == 200
    (event,) = await processed(http, tokens, trans_id)
    assert event["outcome"] == "held_for_reconciliation"
    assert (await invoice_state(http, tokens, invoice["id"]))["amount_paid"] == "0.00"
    held = await http.get(
        "/api/v1/admin/provider-events",
        params={"outcome": "held_for_reconciliation"},
        headers=tokens.admin(),
    )
    listed: list[Any] = held.json()["data"]
    assert trans_id in {item["provider_ref"] for item in listed}
    assert listed[0]["payload"]["data"]["account_reference"] == invoice["invoice_number"]
