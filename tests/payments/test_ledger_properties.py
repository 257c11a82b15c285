"""Stateful property test: random ledger operations never break the money invariants.

Hypothesis drives invoices, payments, quick-pays, wallet applications, refunds and
consolidations through the real app and database, and after every step checks:

* per invoice: allocations = amount_paid, 0 <= balance <= total, status agrees with amounts;
* per wallet: balance = credits - debits >= 0;
* money in = money allocated + wallet + refunded.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from decimal import ROUND_DOWN, Decimal
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from billing.config import Settings
from billing.core.db import Database, libpq_database_url
from billing.main import create_app
from tests.fixtures.auth import Tokens

T = TypeVar("T")
ADMIN = "/api/v1/admin"
AMOUNTS = st.decimals(min_value=Decimal("1"), max_value=Decimal("500"), places=2)
FRACTIONS = st.sampled_from([Decimal("0.1"), Decimal("0.33"), Decimal("0.5"), Decimal("1")])


class LedgerMachine(RuleBasedStateMachine):
    """One tenant, KES, a handful of operations per run."""

    invoices = Bundle("invoices")
    payments = Bundle("payments")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.database = Database.connect(
            CONTEXT["database_url"], role=CONTEXT["settings"].app_role, pool_size=2
        )
        app = create_app(CONTEXT["settings"], self.database)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://ledger"
        )
        self.headers = CONTEXT["tokens"].admin("ledger-machine")
        self.tenant_id = ""

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.run(self.client.aclose())
        self.run(self.database.dispose())
        self.loop.close()

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.run(self.client.post(path, headers=self.headers, json=body))

    @initialize()
    def tenant(self) -> None:
        response = self.post(
            f"{ADMIN}/tenants",
            {"name": f"Ledger {uuid.uuid4().hex[:8]}", "default_currency": "KES"},
        )
        assert response.status_code == 201, response.text
        self.tenant_id = response.json()["data"]["id"]

    @rule(target=invoices, amount=AMOUNTS)
    def create_invoice(self, amount: Decimal) -> str:
        response = self.post(
            f"{ADMIN}/invoices",
            {"tenant_id": self.tenant_id, "subtotal": str(amount), "status": "issued"},
        )
        assert response.status_code == 201, response.text
        return str(response.json()["data"]["id"])

    @rule(target=payments, invoice=invoices, fraction=FRACTIONS)
    def pay(self, invoice: str, fraction: Decimal) -> str:
        detail = self.run(self.client.get(f"{ADMIN}/invoices/{invoice}", headers=self.headers))
        balance = Decimal(detail.json()["data"]["balance"])
        amount = (balance * fraction).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        response = self.post(
            f"{ADMIN}/invoices/{invoice}/payments", {"amount": str(amount), "method": "bank"}
        )
        if detail.json()["data"]["status"] == "cancelled":
            assert response.status_code == 409
            return ""
        if amount <= 0:
            assert response.status_code in (400, 422)
            return ""
        assert response.status_code == 201, response.text
        return str(response.json()["data"]["payment"]["id"])

    @rule(target=payments, amount=AMOUNTS)
    def quick_pay(self, amount: Decimal) -> str:
        response = self.post(
            f"{ADMIN}/tenants/{self.tenant_id}/quick-pay", {"amount": str(amount), "method": "cash"}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["data"]["payment"]["id"])

    @rule(invoice=invoices)
    def apply_wallet(self, invoice: str) -> None:
        response = self.post(f"{ADMIN}/invoices/{invoice}/apply-wallet", {})
        assert response.status_code in (200, 400, 409), response.text

    @rule(payment=payments, half=st.booleans())
    def refund(self, payment: str, half: bool) -> None:
        if not payment:
            return
        body = {"amount": "0.50"} if half else {}
        response = self.post(f"{ADMIN}/payments/{payment}/refund", body)
        # 400: already fully refunded, or its wallet credit was spent meanwhile.
        assert response.status_code in (201, 400), response.text

    @rule()
    def consolidate(self) -> None:
        response = self.post(f"{ADMIN}/tenants/{self.tenant_id}/consolidate", {})
        assert response.status_code in (200, 409), response.text

    @invariant()
    def money_is_conserved(self) -> None:
        if self.tenant_id:
            self.run(check_invariants(CONTEXT["database_url"], uuid.UUID(self.tenant_id)))


async def check_invariants(database_url: str, tenant_id: uuid.UUID) -> None:
    connection = await asyncpg.connect(libpq_database_url(database_url))
    try:
        invoices = await connection.fetch(
            """
            SELECT i.id, i.status, i.total_amount, i.amount_paid, i.amount_refunded,
                   COALESCE((SELECT sum(a.amount) FROM payment_allocations a
                             WHERE a.tenant_id = i.tenant_id AND a.invoice_id = i.id), 0)
                   AS allocated
            FROM invoices i WHERE i.tenant_id = $1
            """,
            tenant_id,
        )
        for row in invoices:
            assert row["allocated"] == row["amount_paid"], dict(row)
            balance = row["total_amount"] - row["amount_paid"]
            assert 0 <= balance <= row["total_amount"], dict(row)
            if row["status"] == "paid":
                assert balance == 0, dict(row)
                assert row["amount_paid"] > 0, dict(row)
            if row["status"] in ("issued", "sent"):
                assert balance > 0 or row["total_amount"] == 0, dict(row)
            if row["status"] == "cancelled":
                assert row["amount_paid"] == 0, dict(row)
        wallet = await connection.fetchval(
            "SELECT COALESCE(sum(amount), 0) FROM wallet_entries WHERE tenant_id = $1", tenant_id
        )
        assert wallet >= 0
        money_in = await connection.fetchval(
            "SELECT COALESCE(sum(amount), 0) FROM payments"
            " WHERE tenant_id = $1 AND method <> 'wallet'",
            tenant_id,
        )
        allocated = await connection.fetchval(
            "SELECT COALESCE(sum(amount), 0) FROM payment_allocations WHERE tenant_id = $1",
            tenant_id,
        )
        refunded = await connection.fetchval(
            "SELECT COALESCE(sum(r.amount), 0) FROM refunds r JOIN payments p"
            " ON p.tenant_id = r.tenant_id AND p.id = r.payment_id"
            " WHERE r.tenant_id = $1 AND p.method <> 'wallet'",
            tenant_id,
        )
        assert money_in == allocated + wallet + refunded, (money_in, allocated, wallet, refunded)
    finally:
        await connection.close()


CONTEXT: dict[str, Any] = {}


@pytest.fixture
def ledger_context(database_url: str, settings: Settings, tokens: Tokens) -> None:
    CONTEXT.update(database_url=database_url, settings=settings, tokens=tokens)


@pytest.mark.usefixtures("ledger_context")
def test_ledger_invariants() -> None:
    machine = settings(
        max_examples=12,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )(LedgerMachine)
    machine.TestCase().runTest()
