"""Cash on delivery and consolidation over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from billing.core.db import libpq_database_url
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.payments.conftest import issued_invoice

ADMIN = "/api/v1/admin"


async def create_cod(client: httpx.AsyncClient, invoice: Any) -> Any:
    response = await client.post(
        "/api/v1/payments/cod/create", json={"invoice_number": invoice["invoice_number"]}
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


class TestCashOnDelivery:
    async def test_collect_and_verify(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued_invoice(factory, tenant["id"])
        created = await create_cod(client, invoice)
        code = created["verification_code"]
        assert len(code) == 6
        assert created["amount"] == "116.00"
        assert created["status"] == "pending"

        instructions = await client.get(f"/api/v1/payments/cod/{created['id']}/instructions")
        assert instructions.status_code == 200
        assert code not in instructions.text
        assert "116.00 KES" in instructions.json()["data"]["instructions"]

        collected = await client.post(
            f"{ADMIN}/payments/cod/{created['id']}/collect",
            headers=tokens.admin(),
            json={"collector": "Wanjiru", "delivery_agent_id": "AG-7", "notes": "door"},
        )
        assert collected.json()["data"]["status"] == "collected"
        assert collected.json()["data"]["delivery_agent_id"] == "AG-7"

        verified = await client.post(
            f"{ADMIN}/payments/cod/{created['id']}/verify",
            headers=tokens.admin(),
            json={"verification_code": code},
        )
        assert verified.status_code == 200, verified.text
        assert verified.json()["data"]["status"] == "verified"
        detail = await client.get(f"{ADMIN}/invoices/{invoice['id']}", headers=tokens.admin())
        assert detail.json()["data"]["status"] == "paid"
        assert detail.json()["data"]["payment_method"] == "cash_on_delivery"
        status = await client.get(f"/api/v1/payments/{created['reference']}/status")
        assert status.json()["data"]["status"] == "succeeded"
        again = await client.post(
            f"{ADMIN}/payments/cod/{created['id']}/verify",
            headers=tokens.admin(),
            json={"verification_code": code},
        )
        assert again.status_code == 409

    async def test_code_is_never_stored_in_clear(
        self, client: httpx.AsyncClient, factory: Factory, tenant: Any, database_url: str
    ) -> None:
        invoice = await issued_invoice(factory, tenant["id"])
        created = await create_cod(client, invoice)
        connection = await asyncpg.connect(libpq_database_url(database_url))
        try:
            row = await connection.fetchrow(
                "SELECT to_jsonb(c) AS cod, to_jsonb(t) AS txn FROM cod_payments c "
                "JOIN payment_transactions t ON t.id = c.transaction_id WHERE c.id = $1",
                uuid.UUID(created["id"]),
            )
        finally:
            await connection.close()
        assert row is not None
        assert created["verification_code"] not in str(row["cod"])
        assert created["verification_code"] not in str(row["txn"])

    async def test_wrong_codes_lock_after_five(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued_invoice(factory, tenant["id"])
        created = await create_cod(client, invoice)
        wrong = "000000" if created["verification_code"] != "000000" else "111111"
        url = f"{ADMIN}/payments/cod/{created['id']}/verify"
        for attempt in range(1, 5):
            response = await client.post(
                url, headers=tokens.admin(), json={"verification_code": wrong}
            )
            assert response.status_code == 400
            assert response.json()["error"]["code"] == "invalid_verification_code"
            assert f"{5 - attempt} attempt(s) left" in response.json()["error"]["message"]
        fifth = await client.post(url, headers=tokens.admin(), json={"verification_code": wrong})
        assert fifth.status_code == 409
        assert fifth.json()["error"]["code"] == "cod_locked"
        right = await client.post(
            url, headers=tokens.admin(), json={"verification_code": created["verification_code"]}
        )
        assert right.status_code == 409
        assert right.json()["error"]["code"] == "cod_locked"
        detail = await client.get(f"{ADMIN}/invoices/{invoice['id']}", headers=tokens.admin())
        assert detail.json()["data"]["amount_paid"] == "0.00"

    async def test_expired_code(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        tenant: Any,
        database_url: str,
    ) -> None:
        invoice = await issued_invoice(factory, tenant["id"])
        created = await create_cod(client, invoice)
        connection = await asyncpg.connect(libpq_database_url(database_url))
        try:
            await connection.execute(
                "UPDATE cod_payments SET expires_at = now() - interval '1 minute' WHERE id = $1",
                uuid.UUID(created["id"]),
            )
        finally:
            await connection.close()
        response = await client.post(
            f"{ADMIN}/payments/cod/{created['id']}/verify",
            headers=tokens.admin(),
            json={"verification_code": created["verification_code"]},
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "cod_expired"

    async def test_refusals(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        draft = await factory.create_invoice(tenant["id"], subtotal="1")
        # Drafts are not public; numbers and public ids nobody issued are unknown.
        response = await client.post(
            "/api/v1/payments/cod/create", json={"public_id": draft["public_id"]}
        )
        assert response.status_code == 404
        unknown = await client.post(
            "/api/v1/payments/cod/create", json={"invoice_number": "INV-1999-JAN-01A"}
        )
        assert unknown.status_code == 404
        internal_id = await client.post(
            "/api/v1/payments/cod/create", json={"invoice_id": draft["id"]}
        )
        assert internal_id.status_code == 422
        missing = await client.get(f"/api/v1/payments/cod/{uuid.uuid4()}/instructions")
        assert missing.status_code == 404
        await factory.put_settings(enable_cash_on_delivery=False)
        invoice = await issued_invoice(factory, tenant["id"])
        disabled = await client.post(
            "/api/v1/payments/cod/create", json={"invoice_number": invoice["invoice_number"]}
        )
        await factory.put_settings(enable_cash_on_delivery=True)
        assert disabled.status_code == 400


class TestConsolidation:
    async def test_merges_open_unpaid_invoices(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        first = await issued_invoice(factory, tenant["id"], "10.00")
        second = await factory.create_invoice(
            tenant["id"],
            status="issued",
            items=[
                {"name": "A", "quantity": "2", "unit_price": "15.00"},
                {"name": "B", "unit_price": "5.00", "tax_rate": "0"},
            ],
        )
        partly_paid = await issued_invoice(factory, tenant["id"], "20.00")
        await client.post(
            f"{ADMIN}/invoices/{partly_paid['id']}/payments",
            headers=tokens.admin(),
            json={"amount": "1.00"},
        )
        euro = await issued_invoice(factory, tenant["id"], "7.00", currency="EUR")
        response = await client.post(
            f"{ADMIN}/tenants/{tenant['id']}/consolidate",
            headers=tokens.admin(),
            json={"notes": "Monthly statement"},
        )
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert sorted(data["voided_invoice_ids"]) == sorted([first["id"], second["id"]])
        merged = data["consolidated_invoice"]
        assert merged["status"] == "issued"
        assert merged["invoice_number"]
        assert merged["notes"] == "Monthly statement"
        assert merged["total_amount"] == "51.40"  # 11.60 + 34.80 + 5.00
        assert [item["source_invoice_id"] for item in merged["items"]] == [
            first["id"],
            second["id"],
            second["id"],
        ]
        for original in (first, second):
            detail = (
                await client.get(f"{ADMIN}/invoices/{original['id']}", headers=tokens.admin())
            ).json()["data"]
            assert detail["status"] == "cancelled"
            assert detail["consolidated_into_id"] == merged["id"]
        for untouched in (partly_paid, euro):
            detail = (
                await client.get(f"{ADMIN}/invoices/{untouched['id']}", headers=tokens.admin())
            ).json()["data"]
            assert detail["status"] == "issued"
        nothing = await client.post(
            f"{ADMIN}/tenants/{tenant['id']}/consolidate",
            headers=tokens.admin(),
            json={"currency": "JPY"},
        )
        assert nothing.status_code == 409
        assert nothing.json()["error"]["code"] == "nothing_to_consolidate"
