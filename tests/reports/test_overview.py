"""``GET /billing/overview`` (seed 002) against the ledger, and its statement count."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import event

from billing.core.db import Database
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.reports.conftest import Ledger
from tests.reports.support import line, pay

OVERVIEW = "/api/v1/billing/overview"


async def overview(client: httpx.AsyncClient, tokens: Tokens, tenant_id: str) -> dict[str, Any]:
    response = await client.get(OVERVIEW, headers=tokens.member(uuid.UUID(tenant_id)))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def subscribe(client: httpx.AsyncClient, tokens: Tokens, tenant_id: str) -> Any:
    """A monthly 30.00 EUR subscription, invoiced by e-mail."""
    admin = tokens.admin()
    product = await client.post(
        "/api/v1/admin/products",
        json={
            "code": f"P-{uuid.uuid4().hex[:8]}",
            "name": "Plan",
            "unit_price": "0",
            "currency": "EUR",
        },
        headers=admin,
    )
    assert product.status_code == 201, product.text
    price = await client.post(
        "/api/v1/admin/prices",
        json={
            "product_id": product.json()["data"]["id"],
            "unit_amount": "30.00",
            "interval": "month",
            "currency": "EUR",
        },
        headers=admin,
    )
    assert price.status_code == 201, price.text
    created = await client.post(
        "/api/v1/admin/subscriptions",
        json={
            "tenant_id": tenant_id,
            "items": [{"price_id": price.json()["data"]["id"], "quantity": "2"}],
            "collection_method": "send_invoice",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    return created.json()["data"]


async def book(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory, *, invoices: int
) -> str:
    """A tenant with ``invoices`` issued EUR invoices (every third overdue, every fifth partly
    paid, every seventh paid), a KES invoice, a draft, a cancelled one, wallet credit in USD
    and a subscription."""
    tenant = await factory.create_tenant(default_currency="EUR")
    tenant_id = tenant["id"]
    for n in range(invoices):
        overdue = n % 3 == 0
        invoice = await factory.create_invoice(
            tenant_id,
            status="issued",
            issue_date="2026-01-05" if overdue else "2099-01-05",
            due_date="2026-01-20" if overdue else "2099-02-01",
            items=[line(f"{10 + n}.{n % 100:02d}")],
        )
        if n % 7 == 0:
            await pay(client, tokens, invoice["id"], invoice["total_amount"])
        elif n % 5 == 0:
            await pay(client, tokens, invoice["id"], "3.33", method="bank")
    await factory.create_invoice(tenant_id, currency="KES", status="issued", items=[line("999")])
    await factory.create_invoice(tenant_id)
    cancelled = await factory.create_invoice(tenant_id, status="issued", items=[line("5")])
    response = await client.put(
        f"/api/v1/admin/invoices/{cancelled['id']}/cancel", json={}, headers=tokens.admin()
    )
    assert response.status_code == 200, response.text
    credit = await client.post(
        f"/api/v1/admin/tenants/{tenant_id}/quick-pay",
        json={"amount": "12.34", "currency": "USD", "method": "cash"},
        headers=tokens.admin(),
    )
    assert credit.status_code == 200, credit.text
    await subscribe(client, tokens, tenant_id)
    return str(tenant_id)


@contextmanager
def counting(database: Database) -> Iterator[list[str]]:
    """Every statement the app's engine sends while the block runs."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)


class TestFigures:
    async def test_overview_equals_the_ledger(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, ledger: Ledger
    ) -> None:
        tenant_id = await book(client, tokens, factory, invoices=12)
        data = await overview(client, tokens, tenant_id)
        tenant = uuid.UUID(tenant_id)
        # What is due, from the ledger's rows: totals less credit notes less allocations.
        rows = await ledger.rows(
            "SELECT i.currency, i.due_date, i.total_amount"
            " - coalesce((SELECT sum(c.total_amount) FROM credit_notes c"
            "   WHERE c.invoice_id = i.id), 0)"
            " - coalesce((SELECT sum(a.amount) FROM payment_allocations a"
            "   WHERE a.invoice_id = i.id), 0) AS due"
            " FROM invoices i WHERE i.tenant_id = $1 AND i.status IN ('issued', 'sent')",
            tenant,
        )
        as_of = data["as_of"]
        expected: dict[str, list[Any]] = {}
        for row in rows:
            if row["due"] <= 0:
                continue
            acc = expected.setdefault(row["currency"], [Decimal(0), 0, Decimal(0), 0])
            acc[0] += row["due"]
            acc[1] += 1
            if row["due_date"] is not None and row["due_date"].isoformat() < as_of:
                acc[2] += row["due"]
                acc[3] += 1
        assert {
            b["currency"]: [
                Decimal(b["balance_due"]),
                b["open_count"],
                Decimal(b["overdue_amount"]),
                b["overdue_count"],
            ]
            for b in data["balances"]
        } == expected
        assert {b["currency"] for b in data["balances"]} == {"EUR", "KES"}
        eur = next(b for b in data["balances"] if b["currency"] == "EUR")
        assert eur["overdue_count"] > 0
        assert eur["overdue_count"] < eur["open_count"]

        wallet = await ledger.rows(
            "SELECT currency, sum(amount) AS amount FROM wallet_entries WHERE tenant_id = $1"
            " GROUP BY currency",
            tenant,
        )
        assert {w["currency"]: w["amount"] for w in wallet} == {
            w["currency"]: Decimal(w["amount"]) for w in data["wallet"]
        }
        assert data["wallet"] == [{"currency": "USD", "amount": "12.34"}]

        newest = await ledger.rows(
            "SELECT id FROM invoices WHERE tenant_id = $1 AND status <> 'draft'"
            " ORDER BY issue_date DESC, id DESC LIMIT 5",
            tenant,
        )
        assert [r["id"] for r in newest] == [uuid.UUID(i["id"]) for i in data["recent_invoices"]]
        payments = await ledger.rows(
            "SELECT id, amount FROM payments WHERE tenant_id = $1"
            " ORDER BY paid_at DESC, id DESC LIMIT 5",
            tenant,
        )
        assert [(r["id"], r["amount"]) for r in payments] == [
            (uuid.UUID(p["id"]), Decimal(p["amount"])) for p in data["recent_payments"]
        ]

        assert [s["status"] for s in data["active_subscriptions"]] == ["active"]
        upcoming = await client.get(
            "/api/v1/billing/upcoming", headers=tokens.member(uuid.UUID(tenant_id))
        )
        assert upcoming.status_code == 200, upcoming.text
        next_invoice = data["next_invoice"]
        assert next_invoice["issue_date"] == upcoming.json()["data"]["issue_date"]
        assert next_invoice["total_amount"] == upcoming.json()["data"]["total_amount"] == "69.60"
        assert data["default_payment_method"] is None

    async def test_a_new_tenant_has_an_empty_overview(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        data = await overview(client, tokens, tenant["id"])
        assert (data["balances"], data["wallet"], data["next_invoice"]) == ([], [], None)
        assert (data["recent_invoices"], data["recent_payments"]) == ([], [])


class TestCost:
    async def test_same_statements_at_10_and_200_invoices(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        database: Database,
    ) -> None:
        small = await book(client, tokens, factory, invoices=10)
        large = await book(client, tokens, factory, invoices=200)
        await overview(client, tokens, small)  # settings cached alike for both
        with counting(database) as few:
            small_data = await overview(client, tokens, small)
        with counting(database) as many:
            large_data = await overview(client, tokens, large)
        assert len(few) == len(many), (few, many)
        # 7 of its own, the rest the upcoming invoice's estimate (per subscription).
        assert len(few) < 40, few
        assert len(large_data["recent_invoices"]) == len(small_data["recent_invoices"]) == 5


class TestAccess:
    async def test_staff_use_their_own_routes(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.get(OVERVIEW, headers=tokens.admin())
        assert response.status_code == 403
        assert (await client.get(OVERVIEW)).status_code == 401

    async def test_a_tenant_sees_only_its_own(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        mine = await factory.create_tenant()
        other = await factory.create_tenant()
        await factory.create_invoice(other["id"], status="issued", items=[line("50")])
        data = await overview(client, tokens, mine["id"])
        assert data["tenant_id"] == mine["id"]
        assert (data["balances"], data["recent_invoices"]) == ([], [])
