"""Seed 003's words for the same things: list filters, the create body, and the reseller's
commission on every invoice."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

INVOICES = "/api/v1/admin/invoices"


@pytest.fixture(autouse=True)
async def seed_settings(factory: Factory) -> AsyncIterator[None]:
    before = await factory.get_settings()
    await factory.put_settings(
        enable_cash=True, default_tax_rate="16.00", enabled_currencies=["EUR", "KES", "USD"]
    )
    yield
    await factory.put_settings(**before)


async def numbers(client: httpx.AsyncClient, tokens: Tokens, **params: Any) -> list[str]:
    response = await client.get(INVOICES, params=params, headers=tokens.admin())
    assert response.status_code == 200, response.text
    return sorted(str(item["id"]) for item in response.json()["data"])


class TestListFilters:
    async def test_search_and_subscriber_id(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        marker = uuid.uuid4().hex[:10]
        tenant = await factory.create_tenant(name=f"Subscriber {marker}", default_currency="KES")
        other = await factory.create_tenant(default_currency="KES")
        mine = await factory.create_invoice(tenant["id"], subtotal="10")
        await factory.create_invoice(other["id"], subtotal="10")
        # The tenant's name is searched (here only the tenant's name holds the marker).
        assert await numbers(client, tokens, search=marker) == [mine["id"]]
        assert await numbers(client, tokens, q=marker) == [mine["id"]]
        assert await numbers(client, tokens, subscriber_id=tenant["id"]) == [mine["id"]]
        assert await numbers(client, tokens, subscriber_id=tenant["id"], limit=1) == [mine["id"]]
        disagree = await client.get(
            INVOICES,
            params={"tenant_id": tenant["id"], "subscriber_id": other["id"]},
            headers=tokens.admin(),
        )
        assert disagree.status_code == 422
        assert "disagree" in disagree.json()["error"]["message"]

    async def test_seed_statuses(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant(default_currency="KES")
        pending = await factory.create_invoice(tenant["id"], subtotal="10", status="issued")
        partial = await factory.create_invoice(tenant["id"], subtotal="10", status="issued")
        paid = await client.post(
            f"{INVOICES}/{partial['id']}/payments",
            headers=tokens.admin(),
            json={"amount": "5", "method": "cash"},
        )
        assert paid.status_code == 201
        void = await factory.create_invoice(tenant["id"], subtotal="10", status="issued")
        assert (
            await client.post(f"{INVOICES}/{void['id']}/void", headers=tokens.admin())
        ).status_code == 200
        overdue = await factory.create_invoice(
            tenant["id"],
            subtotal="10",
            status="issued",
            issue_date="2020-01-01",
            due_date="2020-01-15",
        )
        draft = await factory.create_invoice(tenant["id"], subtotal="10")
        scoped = {"tenant_id": tenant["id"]}
        assert await numbers(client, tokens, status="pending", **scoped) == [pending["id"]]
        assert await numbers(client, tokens, status="partial", **scoped) == [partial["id"]]
        assert await numbers(client, tokens, status="void", **scoped) == [void["id"]]
        assert await numbers(client, tokens, status="overdue", **scoped) == [overdue["id"]]
        assert await numbers(client, tokens, status="draft", **scoped) == [draft["id"]]
        unknown = await client.get(INVOICES, params={"status": "lost"}, headers=tokens.admin())
        assert unknown.status_code == 422

        mine = await client.get(
            "/api/v1/billing/invoices",
            params={"status": "partial"},
            headers=tokens.owner(uuid.UUID(tenant["id"])),
        )
        assert [item["id"] for item in mine.json()["data"]] == [partial["id"]]

    async def test_unknown_parameters_are_refused(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.get(
            INVOICES, params={"subscriber": "x", "page": 1}, headers=tokens.admin()
        )
        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["loc"] == ["query", "subscriber"]


class TestCreateBody:
    async def test_seed_003_form(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant(default_currency="USD", country_code="KE")
        response = await client.post(
            INVOICES,
            headers=tokens.admin(),
            json={
                "subscriber_id": tenant["id"],
                "items": [
                    {"description": "Installation fee", "qty": 1, "unit_price": 50.00},
                    {"description": "8M-20G plan", "qty": 2, "unit_price": 25, "tax_rate": 0},
                ],
                "tax_rate": 10,
                "due_date": "2030-06-01",
                "notes": "Auto-generated on renewal",
                "currency": "USD",
            },
        )
        assert response.status_code == 201, response.text
        invoice = response.json()["data"]
        assert invoice["tenant_id"] == tenant["id"]
        first, second = invoice["items"]
        assert (first["name"], first["description"], first["quantity"]) == (
            "Installation fee",
            None,
            "1",
        )
        assert (first["tax_rate"], second["tax_rate"]) == ("10.00", "0.00")
        assert (invoice["subtotal"], invoice["tax_amount"], invoice["total_amount"]) == (
            "100.00",
            "5.00",
            "105.00",
        )

    async def test_refusals(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        both = await client.post(
            INVOICES,
            headers=tokens.admin(),
            json={
                "tenant_id": tenant["id"],
                "items": [{"name": "x", "quantity": "1", "qty": "2", "unit_price": "1"}],
            },
        )
        assert both.status_code == 422
        rate_and_id = await client.post(
            INVOICES,
            headers=tokens.admin(),
            json={
                "tenant_id": tenant["id"],
                "subtotal": "1",
                "tax_rate": "10",
                "tax_rate_id": str(uuid.uuid4()),
            },
        )
        assert rate_and_id.status_code == 422

    async def test_update_re_taxes_the_lines(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant(default_currency="KES")
        draft = await factory.create_invoice(tenant["id"], subtotal="100")
        updated = await client.put(
            f"{INVOICES}/{draft['id']}", headers=tokens.admin(), json={"tax_rate": "8"}
        )
        assert updated.status_code == 200, updated.text
        assert updated.json()["data"]["tax_amount"] == "8.00"


class TestCommission:
    async def test_reseller_commission_is_shown_and_frozen_at_issue(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        reseller = await factory.create_reseller(commission_rate="10.00")
        tenant = await factory.create_tenant(reseller_id=reseller["id"], default_currency="KES")
        draft = await factory.create_invoice(tenant["id"], subtotal="25.00", discount_amount="5.00")
        assert (draft["reseller_id"], draft["commission_rate"]) == (reseller["id"], "10.00")
        assert draft["commission_amount"] == "2.00"  # 10 % of 20.00 net

        raised = await client.patch(
            f"/api/v1/admin/resellers/{reseller['id']}",
            headers=tokens.admin(),
            json={"commission_rate": "12.50"},
        )
        assert raised.status_code == 200, raised.text
        issued = await client.post(f"{INVOICES}/{draft['id']}/issue", headers=tokens.admin())
        assert issued.json()["data"]["commission_rate"] == "12.50"  # read again at issue
        assert issued.json()["data"]["commission_amount"] == "2.50"

        lowered = await client.patch(
            f"/api/v1/admin/resellers/{reseller['id']}",
            headers=tokens.admin(),
            json={"commission_rate": "5.00"},
        )
        assert lowered.status_code == 200
        frozen = await client.get(f"{INVOICES}/{draft['id']}", headers=tokens.admin())
        assert frozen.json()["data"]["commission_rate"] == "12.50"

        # The reseller sees it; the tenant does not see its reseller's commission.
        as_reseller = await client.get(
            f"{INVOICES}/{draft['id']}", headers=tokens.reseller(uuid.UUID(reseller["id"]))
        )
        assert as_reseller.json()["data"]["commission_amount"] == "2.50"
        as_tenant = await client.get(
            f"/api/v1/billing/invoices/{draft['id']}",
            headers=tokens.owner(uuid.UUID(tenant["id"])),
        )
        tenant_view = as_tenant.json()["data"]
        assert (
            tenant_view["reseller_id"],
            tenant_view["commission_rate"],
            tenant_view["commission_amount"],
        ) == (None, None, None)

    async def test_no_reseller_no_commission(self, factory: Factory) -> None:
        tenant = await factory.create_tenant()
        invoice = await factory.create_invoice(tenant["id"], subtotal="10")
        assert (invoice["reseller_id"], invoice["commission_amount"]) == (None, None)
