"""Concurrent payments against the real database: never overpaid, never double-recorded."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import httpx

from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

ADMIN = "/api/v1/admin"
ZERO_RATED_100 = [{"name": "Plan", "unit_price": "100.00", "tax_rate": "0"}]


async def test_fifty_payments_of_ten_percent_exactly_ten_succeed(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
) -> None:
    invoice = await factory.create_invoice(tenant["id"], status="issued", items=ZERO_RATED_100)
    assert invoice["total_amount"] == "100.00"
    responses = await asyncio.gather(
        *(
            client.post(
                f"{ADMIN}/invoices/{invoice['id']}/payments",
                headers=tokens.admin(),
                json={"amount": "10.00", "method": "cash"},
            )
            for _ in range(50)
        )
    )
    statuses = [response.status_code for response in responses]
    assert statuses.count(201) == 10, statuses
    assert statuses.count(400) == 40
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 400} == {
        "amount_exceeds_balance"
    }
    detail = (await client.get(f"{ADMIN}/invoices/{invoice['id']}", headers=tokens.admin())).json()
    assert detail["data"]["amount_paid"] == "100.00"
    assert detail["data"]["status"] == "paid"
    payments = await client.get(
        f"{ADMIN}/invoices/{invoice['id']}/payments", headers=tokens.admin()
    )
    assert len(payments.json()["data"]) == 10


async def test_concurrent_quick_pays_never_exceed_open_balances(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
) -> None:
    invoices = [
        await factory.create_invoice(tenant["id"], status="issued", items=ZERO_RATED_100)
        for _ in range(3)
    ]
    responses = await asyncio.gather(
        *(
            client.post(
                f"{ADMIN}/tenants/{tenant['id']}/quick-pay",
                headers=tokens.admin(),
                json={"amount": "200.00", "method": "bank"},
            )
            for _ in range(2)
        )
    )
    assert [response.status_code for response in responses] == [200, 200]
    applied = sum(
        Decimal(item["amount"]) for r in responses for item in r.json()["data"]["applied"]
    )
    credited = sum(Decimal(r.json()["data"]["wallet_credit"]) for r in responses)
    assert applied == Decimal("300.00")
    assert credited == Decimal("100.00")
    for invoice in invoices:
        detail = (
            await client.get(f"{ADMIN}/invoices/{invoice['id']}", headers=tokens.admin())
        ).json()
        assert detail["data"]["amount_paid"] == "100.00"
        assert detail["data"]["balance"] == "0.00"
    wallet = await client.get(f"{ADMIN}/tenants/{tenant['id']}/wallet", headers=tokens.admin())
    assert wallet.json()["data"]["balances"] == [{"currency": "KES", "balance": "100.00"}]


async def test_same_idempotency_key_twenty_times_records_one_payment(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
) -> None:
    invoice = await factory.create_invoice(tenant["id"], status="issued", items=ZERO_RATED_100)
    headers = {**tokens.admin(), "Idempotency-Key": uuid.uuid4().hex}
    responses = await asyncio.gather(
        *(
            client.post(
                f"{ADMIN}/invoices/{invoice['id']}/payments",
                headers=headers,
                json={"amount": "25.00", "method": "cash"},
            )
            for _ in range(20)
        )
    )
    assert {response.status_code for response in responses} == {201}
    assert len({r.json()["data"]["payment"]["id"] for r in responses}) == 1
    payments = await client.get(
        f"{ADMIN}/invoices/{invoice['id']}/payments", headers=tokens.admin()
    )
    assert [p["amount"] for p in payments.json()["data"]] == ["25.00"]
