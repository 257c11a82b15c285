"""Stateful property test: random ledger operations never break the money invariants.

Hypothesis drives invoices, payments, quick-pays, wallet applications, refunds (with and
without credit notes), credit notes of every settlement and consolidations through the real app
and database, and after every step checks:

* per invoice: allocations = amount_paid, credit notes = amount_credited,
  0 <= balance <= total, status agrees with amounts, a cancelled issued invoice is credited in
  full (short of VAT rounding);
* per wallet: balance = credits - debits >= 0;
* money in = money allocated + wallet + refunded.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
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
        # One loop, app and connection serve every example; each example has its own tenant.
        self.stack: LedgerStack = CONTEXT["stack"]
        self.client: httpx.AsyncClient = self.stack.client
        self.headers = CONTEXT["tokens"].admin("ledger-machine")
        self.tenant_id = ""

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.stack.loop.run_until_complete(coroutine)

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
        cancelled = detail.json()["data"]["status"] == "cancelled"
        if cancelled:
            # Its credit note left nothing due; any payment must still be refused.
            amount = Decimal("1.00")
        response = self.post(
            f"{ADMIN}/invoices/{invoice}/payments", {"amount": str(amount), "method": "bank"}
        )
        if cancelled:
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

    @rule(payment=payments, half=st.booleans(), credit_note=st.booleans())
    def refund(self, payment: str, half: bool, credit_note: bool) -> None:
        if not payment:
            return
        body: dict[str, Any] = {"amount": "0.50"} if half else {}
        body["credit_note"] = credit_note
        response = self.post(f"{ADMIN}/payments/{payment}/refund", body)
        # 400: already fully refunded, its wallet credit was spent meanwhile, or no credit
        # note can total the amount; 409: the invoice was credited in full already.
        assert response.status_code in (201, 400, 409), response.text

    @rule(
        invoice=invoices,
        settlement=st.sampled_from(["reduce_balance", "refund", "wallet"]),
        amount=st.sampled_from([None, "0.50", "25.00"]),
    )
    def credit_note(self, invoice: str, settlement: str, amount: str | None) -> None:
        body: dict[str, Any] = {"reason": "Property test", "settlement": settlement}
        if amount is not None:
            body["amounts"] = [{"tax_category": "S", "tax_rate": "16", "amount": amount}]
        response = self.post(f"{ADMIN}/invoices/{invoice}/credit-notes", body)
        # 400: more than remains or is open, or nothing paid to give back; 409: not creditable.
        assert response.status_code in (201, 400, 409), response.text

    @rule()
    def consolidate(self) -> None:
        response = self.post(f"{ADMIN}/tenants/{self.tenant_id}/consolidate", {})
        assert response.status_code in (200, 409), response.text

    @invariant()
    def money_is_conserved(self) -> None:
        if self.tenant_id:
            self.run(check_invariants(self.stack.connection, uuid.UUID(self.tenant_id)))


async def check_invariants(connection: asyncpg.Connection, tenant_id: uuid.UUID) -> None:
    """The ledger's invariants for one tenant, read as the owner (behind the API)."""
    invoices = await connection.fetch(
        """
        SELECT i.id, i.status, i.total_amount, i.amount_paid, i.amount_refunded,
               i.amount_credited, i.invoice_number,
               COALESCE((SELECT sum(a.amount) FROM payment_allocations a
                         WHERE a.tenant_id = i.tenant_id AND a.invoice_id = i.id), 0)
               AS allocated,
               COALESCE((SELECT sum(c.total_amount) FROM credit_notes c
                         WHERE c.tenant_id = i.tenant_id AND c.invoice_id = i.id), 0)
               AS credited,
               (SELECT count(*) FROM credit_notes c
                WHERE c.tenant_id = i.tenant_id AND c.invoice_id = i.id) AS credit_notes
        FROM invoices i WHERE i.tenant_id = $1
        """,
        tenant_id,
    )
    for row in invoices:
        assert row["allocated"] == row["amount_paid"], dict(row)
        assert row["credited"] == row["amount_credited"], dict(row)
        balance = row["total_amount"] - row["amount_credited"] - row["amount_paid"]
        assert 0 <= balance <= row["total_amount"], dict(row)
        if row["status"] == "paid":
            assert balance == 0, dict(row)
            assert row["amount_paid"] > 0, dict(row)
        if row["status"] in ("issued", "sent"):
            assert balance > 0 or row["total_amount"] == 0, dict(row)
        if row["status"] == "cancelled":
            assert row["amount_paid"] == 0, dict(row)
            # An issued invoice is never just voided: its credit notes credit it in full,
            # short of at most a minor unit of VAT rounding per credit note.
            if row["invoice_number"] is not None:
                assert row["credit_notes"] >= 1, dict(row)
                assert balance <= Decimal("0.01") * row["credit_notes"], dict(row)
    wallet = await connection.fetchval(
        "SELECT COALESCE(sum(amount), 0) FROM wallet_entries WHERE tenant_id = $1", tenant_id
    )
    assert wallet >= 0
    money_in = await connection.fetchval(
        "SELECT COALESCE(sum(amount), 0) FROM payments WHERE tenant_id = $1 AND method <> 'wallet'",
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


@dataclass
class LedgerStack:
    """The app, its client and an owner connection on one private event loop."""

    loop: asyncio.AbstractEventLoop
    database: Database
    client: httpx.AsyncClient
    connection: asyncpg.Connection


CONTEXT: dict[str, Any] = {}


@pytest.fixture
def ledger_context(database_url: str, settings: Settings, tokens: Tokens) -> Iterator[None]:
    loop = asyncio.new_event_loop()
    database = Database.connect(database_url, role=settings.app_role, pool_size=2)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings, database)),
        base_url="http://ledger",
    )
    connection = loop.run_until_complete(asyncpg.connect(libpq_database_url(database_url)))
    CONTEXT.update(stack=LedgerStack(loop, database, client, connection), tokens=tokens)
    yield
    loop.run_until_complete(client.aclose())
    loop.run_until_complete(connection.close())
    loop.run_until_complete(database.dispose())
    loop.close()


@pytest.mark.usefixtures("ledger_context")
def test_ledger_invariants() -> None:
    machine = settings(
        max_examples=12,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )(LedgerMachine)
    machine.TestCase().runTest()
