"""``billing seed-demo``: a complete demo on a fresh database, and nothing changes the second
time."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from billing.config import Settings
from billing.core.db import Database
from billing.demo import ACME_ID, GLOBEX_ID, seed
from billing.devenv import provider_variables
from billing.main import create_app
from tests.fixtures.auth import Tokens
from tests.fixtures.database import drop_database, migrated_database

ADMIN = "/api/v1/admin"
FORMATS = ("pdf", "ubl", "xrechnung", "cii", "zugferd")


@pytest.fixture(scope="module")
def demo_database(server_url: str) -> Iterator[str]:
    """A database of its own: the demo writes the operator's settings."""
    name = f"billing_demo_{uuid.uuid4().hex[:10]}"
    url = migrated_database(server_url, name)
    yield url
    drop_database(server_url, name)


@pytest.fixture(scope="module")
def demo_settings(demo_database: str, settings: Settings) -> Settings:
    return settings.model_copy(update={"database_url": demo_database})


@pytest.fixture
async def api(demo_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    assert demo_settings.database_url is not None
    database = Database.connect(demo_settings.database_url, role=demo_settings.app_role)
    app = create_app(demo_settings, database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client
    await database.dispose()


async def _invoices(api: httpx.AsyncClient, tokens: Tokens) -> list[dict[str, object]]:
    response = await api.get(
        f"{ADMIN}/invoices",
        params={"per_page": 500, "sort": "invoice_number"},
        headers=tokens.admin(),
    )
    assert response.status_code == 200, response.text
    data: list[dict[str, object]] = response.json()["data"]
    return data


async def test_the_demo_is_complete_and_seeding_again_changes_nothing(
    demo_database: str,
    demo_settings: Settings,
    api: httpx.AsyncClient,
    tokens: Tokens,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in provider_variables(mpesa_shortcode="x", mpesa_passkey="y"):
        monkeypatch.delenv(name, raising=False)

    first = await seed(demo_database, demo_settings)

    assert first.created == 10
    assert first.enabled_methods == ["cash", "mpesa", "bank"]
    invoices = await _invoices(api, tokens)
    states = {
        (invoice["tenant_id"], invoice["currency"], invoice["status"], invoice["payment_status"])
        for invoice in invoices
    }
    for tenant, currency in ((str(ACME_ID), "EUR"), (str(GLOBEX_ID), "KES")):
        assert {
            (tenant, currency, "draft", "pending"),
            (tenant, currency, "issued", "pending"),
            (tenant, currency, "issued", "partial"),
            (tenant, currency, "paid", "paid"),
            (tenant, currency, "overdue", "pending"),
        } <= states
    settings = (await api.get(f"{ADMIN}/settings", headers=tokens.admin())).json()["data"]
    assert settings["seller"]["vat_id"] == "DE123456789"
    assert settings["seller"]["iban"]
    for tenant_id in (ACME_ID, GLOBEX_ID):
        profile = await api.get(
            f"{ADMIN}/tenants/{tenant_id}/billing-profile", headers=tokens.admin()
        )
        assert profile.json()["data"]["company_name"], profile.text

    # Every format of every issued invoice renders (the seller is complete for all of them).
    issued = [invoice for invoice in invoices if invoice["status"] != "draft"]
    for invoice in issued:
        for document_format in FORMATS:
            download = await api.get(
                f"{ADMIN}/invoices/{invoice['id']}/download",
                params={"format": document_format},
                headers=tokens.admin(),
            )
            assert download.status_code == 200, (invoice["notes"], document_format, download.text)
    overdue = next(i for i in invoices if i["status"] == "overdue")
    page = await api.get(str(overdue["public_url"]).replace(demo_settings.public_base_url, ""))
    assert page.status_code == 200
    assert str(overdue["invoice_number"]) in page.text

    second = await seed(demo_database, demo_settings)

    assert second.created == 0
    assert await _invoices(api, tokens) == invoices
    again = (await api.get(f"{ADMIN}/settings", headers=tokens.admin())).json()["data"]
    assert again == settings


async def test_configured_providers_are_switched_on(
    demo_database: str,
    demo_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in provider_variables(mpesa_shortcode="174379", mpesa_passkey="y").items():
        monkeypatch.setenv(name, value)

    result = await seed(demo_database, demo_settings)

    assert result.created == 0
    assert result.enabled_methods == ["cash", "mpesa", "bank", "pesapal", "stripe", "mollie"]
