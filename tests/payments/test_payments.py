"""Recording payments, cash with change, wallet, refunds and monitoring over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.payments.conftest import issued_invoice

ADMIN = "/api/v1/admin"


async def pay(
    client: httpx.AsyncClient, tokens: Tokens, invoice_id: str, amount: str, **fields: Any
) -> httpx.Response:
    return await client.post(
        f"{ADMIN}/invoices/{invoice_id}/payments",
        headers=tokens.admin(),
        json={"amount": amount, "method": "cash", **fields},
    )


class TestRecordPayments:
    async def test_partial_payments_until_paid(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued_invoice(factory, tenant["id"])
        first = await pay(client, tokens, invoice["id"], "16.00", reference="CHQ-1")
        assert first.status_code == 201, first.text
        data = first.json()["data"]
        assert data["invoice"]["amount_paid"] == "16.00"
        assert data["invoice"]["balance"] == "100.00"
        assert data["invoice"]["payment_status"] == "partial"
        assert data["invoice"]["status"] == "issued"
        assert data["payment"]["amount"] == "16.00"
        assert data["transaction"]["status"] == "succeeded"

        second = await pay(client, tokens, invoice["id"], "100.00", method="bank")
        final = second.json()["data"]["invoice"]
        assert final["status"] == "paid"
        assert final["payment_status"] == "paid"
        assert final["balance"] == "0.00"
        assert final["paid_at"] is not None

        listed = await client.get(
            f"{ADMIN}/invoices/{invoice['id']}/payments", headers=tokens.admin()
        )
        assert [p["amount"] for p in listed.json()["data"]] == ["16.00", "100.00"]
        assert [p["method"] for p in listed.json()["data"]] == ["cash", "bank"]

    async def test_refusals(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued_invoice(factory, tenant["id"])
        too_much = await pay(client, tokens, invoice["id"], "116.01")
        assert too_much.status_code == 400
        assert too_much.json()["error"]["code"] == "amount_exceeds_balance"
        zero = await pay(client, tokens, invoice["id"], "0")
        assert zero.status_code == 422
        fraction = await pay(client, tokens, invoice["id"], "1.001")
        assert fraction.status_code == 400
        assert fraction.json()["error"]["code"] == "invalid_payment_amount"
        unknown = await pay(client, tokens, invoice["id"], "1", method="barter")
        assert unknown.status_code == 400
        await factory.put_settings(enable_bank_payments=False)
        disabled = await pay(client, tokens, invoice["id"], "1", method="bank")
        assert disabled.status_code == 400
        assert disabled.json()["error"]["message"].startswith(
            "Payment method 'bank' is not enabled"
        )
        await factory.put_settings(enable_bank_payments=True)

        draft = await factory.create_invoice(tenant["id"], subtotal="10")
        assert (await pay(client, tokens, draft["id"], "1")).status_code == 409
        void = await issued_invoice(factory, tenant["id"])
        await client.post(f"{ADMIN}/invoices/{void['id']}/void", headers=tokens.admin())
        refused = await pay(client, tokens, void["id"], "1")
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "invoice_not_payable"
        # Nothing was written by the refused requests.
        payments = await client.get(
            f"{ADMIN}/invoices/{invoice['id']}/payments", headers=tokens.admin()
        )
        assert payments.json()["data"] == []

    async def test_partly_paid_invoice_cannot_be_deleted_or_cancelled(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued_invoice(factory, tenant["id"])
        await pay(client, tokens, invoice["id"], "10.00")
        assert (
            await client.delete(f"{ADMIN}/invoices/{invoice['id']}", headers=tokens.admin())
        ).status_code == 409
        assert (
            await client.put(f"{ADMIN}/invoices/{invoice['id']}/cancel", headers=tokens.admin())
        ).status_code == 409


class TestCashWithChange:
    async def test_seed_001_example(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued_invoice(factory, tenant["id"])
        assert invoice["total_amount"] == "116.00"
        response = await client.post(
            f"{ADMIN}/invoices/{invoice['id']}/pay",
            headers=tokens.admin("cashier-7"),
            json={"payment_method": "cash", "amount_given": "120.00"},
        )
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["message"] == "Invoice paid successfully"
        assert data["invoice"]["status"] == "paid"
        assert data["invoice"]["payment_status"] == "paid"
        cash = data["cash_transaction"]
        assert (cash["amount_due"], cash["amount_given"], cash["change_amount"]) == (
            "116.00",
            "120.00",
            "4.00",
        )
        assert cash["status"] == "completed"
        assert cash["processed_by"] == "cashier-7"
        detail = await client.get(f"{ADMIN}/invoices/{invoice['id']}", headers=tokens.admin())
        assert [c["change_amount"] for c in detail.json()["data"]["cash_transactions"]] == ["4.00"]

        again = await client.post(
            f"{ADMIN}/invoices/{invoice['id']}/pay",
            headers=tokens.admin(),
            json={"payment_method": "cash", "amount_given": "120.00"},
        )
        assert again.status_code == 400
        assert again.json()["error"]["message"] == "Invoice is already paid"

    async def test_errors(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued_invoice(factory, tenant["id"])
        url = f"{ADMIN}/invoices/{invoice['id']}/pay"
        cases = [
            ({}, 400, "Payment method is required"),
            ({"payment_method": "cash"}, 400, "amount_given is required for cash payments"),
            (
                {"payment_method": "cash", "amount_given": "100"},
                400,
                "Amount given is less than amount due",
            ),
            ({"payment_method": "mpesa", "amount_given": "200"}, 501, None),
        ]
        for body, status, message in cases:
            response = await client.post(url, headers=tokens.admin(), json=body)
            assert response.status_code == status, (body, response.text)
            if message:
                assert response.json()["error"]["message"] == message
        await factory.put_settings(enable_cash=False)
        disabled = await client.post(
            url, headers=tokens.admin(), json={"payment_method": "cash", "amount_given": "200"}
        )
        await factory.put_settings(enable_cash=True)
        assert disabled.status_code == 400
        assert "Payment method 'cash' is not enabled" in disabled.json()["error"]["message"]


class TestQuickPayAndWallet:
    async def test_fifo_then_wallet(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        newest = await issued_invoice(
            factory, tenant["id"], "10.00", issue_date="2026-03-01", due_date="2026-03-20"
        )
        oldest = await issued_invoice(
            factory, tenant["id"], "25.00", issue_date="2026-01-01", due_date="2026-01-10"
        )
        middle = await issued_invoice(
            factory, tenant["id"], "50.00", issue_date="2026-02-01", due_date="2026-02-10"
        )
        euro = await issued_invoice(factory, tenant["id"], "5.00", currency="EUR")
        response = await client.post(
            f"{ADMIN}/tenants/{tenant['id']}/quick-pay",
            headers=tokens.admin(),
            json={"amount": "100.00", "method": "cash", "reference": "R1"},
        )
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert [(a["invoice_id"], a["amount"]) for a in data["applied"]] == [
            (oldest["id"], "29.00"),
            (middle["id"], "58.00"),
            (newest["id"], "11.60"),
        ]
        assert data["applied"][2]["balance_after"] == "0.00"
        assert data["wallet_credit"] == "1.40"
        assert data["remaining"] == "1.40"
        assert data["open_balance"] == "0.00"
        untouched = await client.get(f"{ADMIN}/invoices/{euro['id']}", headers=tokens.admin())
        assert untouched.json()["data"]["amount_paid"] == "0.00"

        wallet = await client.get(f"{ADMIN}/tenants/{tenant['id']}/wallet", headers=tokens.admin())
        assert wallet.json()["data"]["balances"] == [{"currency": "KES", "balance": "1.40"}]
        mine = await client.get(
            "/api/v1/billing/wallet", headers=tokens.owner(uuid.UUID(tenant["id"]))
        )
        assert mine.json()["data"]["balances"] == [{"currency": "KES", "balance": "1.40"}]

        next_invoice = await issued_invoice(factory, tenant["id"], "1.00")
        applied = await client.post(
            f"{ADMIN}/invoices/{next_invoice['id']}/apply-wallet", headers=tokens.admin(), json={}
        )
        assert applied.status_code == 200, applied.text
        assert applied.json()["data"]["invoice"]["amount_paid"] == "1.16"
        assert applied.json()["data"]["payment"]["method"] == "wallet"
        wallet = await client.get(f"{ADMIN}/tenants/{tenant['id']}/wallet", headers=tokens.admin())
        assert wallet.json()["data"]["balances"] == [{"currency": "KES", "balance": "0.24"}]
        kinds = [entry["kind"] for entry in wallet.json()["data"]["entries"]]
        assert sorted(kinds) == ["credit", "invoice_payment"]

    async def test_partial_fifo(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        first = await issued_invoice(factory, tenant["id"], "100.00", due_date="2030-01-01")
        second = await issued_invoice(factory, tenant["id"], "100.00", due_date="2030-02-01")
        response = await client.post(
            f"{ADMIN}/tenants/{tenant['id']}/quick-pay",
            headers=tokens.admin(),
            json={"amount": "150.00"},
        )
        data = response.json()["data"]
        assert [(a["invoice_id"], a["amount"]) for a in data["applied"]] == [
            (first["id"], "116.00"),
            (second["id"], "34.00"),
        ]
        assert data["wallet_credit"] == "0.00"
        assert data["open_balance"] == "82.00"

    async def test_wallet_overdraw_refused(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued_invoice(factory, tenant["id"])
        response = await client.post(
            f"{ADMIN}/invoices/{invoice['id']}/apply-wallet",
            headers=tokens.admin(),
            json={"amount": "5"},
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "insufficient_wallet_balance"


class TestRefunds:
    async def test_partial_then_full_refund(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued_invoice(factory, tenant["id"])
        paid = await pay(client, tokens, invoice["id"], "116.00")
        payment_id = paid.json()["data"]["payment"]["id"]
        partial = await client.post(
            f"{ADMIN}/payments/{payment_id}/refund",
            headers=tokens.admin(),
            json={"amount": "16.00", "reason": "discount"},
        )
        assert partial.status_code == 201, partial.text
        detail = (
            await client.get(f"{ADMIN}/invoices/{invoice['id']}", headers=tokens.admin())
        ).json()["data"]
        assert (
            detail["amount_paid"],
            detail["balance"],
            detail["payment_status"],
            detail["status"],
        ) == (
            "100.00",
            "16.00",
            "partial",
            "issued",
        )
        too_much = await client.post(
            f"{ADMIN}/payments/{payment_id}/refund",
            headers=tokens.admin(),
            json={"amount": "100.01"},
        )
        assert too_much.status_code == 400
        assert too_much.json()["error"]["code"] == "refund_exceeds_refundable"
        rest = await client.post(
            f"{ADMIN}/payments/{payment_id}/refund", headers=tokens.admin(), json={}
        )
        assert rest.json()["data"]["amount"] == "100.00"
        detail = (
            await client.get(f"{ADMIN}/invoices/{invoice['id']}", headers=tokens.admin())
        ).json()["data"]
        assert detail["payment_status"] == "refunded"
        assert detail["amount_refunded"] == "116.00"
        transactions = await client.get(
            f"{ADMIN}/transactions/invoice/{invoice['id']}", headers=tokens.admin()
        )
        assert [t["status"] for t in transactions.json()["data"]] == ["refunded"]
        missing = await client.post(
            f"{ADMIN}/payments/{uuid.uuid4()}/refund", headers=tokens.admin(), json={}
        )
        assert missing.status_code == 404


class TestMonitoring:
    async def test_transactions(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued_invoice(factory, tenant["id"])
        await pay(client, tokens, invoice["id"], "10.00", method="bank")
        listed = await client.get(
            f"{ADMIN}/transactions",
            headers=tokens.admin(),
            params={"tenant_id": tenant["id"], "method": "bank", "status": "succeeded"},
        )
        assert listed.status_code == 200
        [transaction] = listed.json()["data"]
        reference = transaction["reference"]
        detail = await client.get(f"{ADMIN}/transactions/{reference}", headers=tokens.admin())
        assert detail.json()["data"]["amount"] == "10.00"
        status = await client.get(f"/api/v1/payments/{reference}/status")
        assert status.status_code == 200
        assert status.json()["data"] == {
            "reference": reference,
            "status": "succeeded",
            "method": "bank",
            "amount": "10.00",
            "currency": "KES",
            "updated_at": status.json()["data"]["updated_at"],
        }
        assert (await client.get("/api/v1/payments/TXN-NOPE/status")).status_code == 404
        none_today = await client.get(
            f"{ADMIN}/transactions",
            headers=tokens.admin(),
            params={"tenant_id": tenant["id"], "date_to": "2000-01-01"},
        )
        assert none_today.json()["data"] == []

    async def test_reseller_scoping(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        mine = await factory.create_reseller()
        theirs = await factory.create_reseller()
        other_tenant = await factory.create_tenant(reseller_id=theirs["id"], default_currency="KES")
        invoice = await issued_invoice(factory, other_tenant["id"])
        paid = await pay(client, tokens, invoice["id"], "1.00")
        reference = paid.json()["data"]["transaction"]["reference"]
        headers = tokens.reseller(mine["id"])
        assert (
            await client.get(f"{ADMIN}/transactions/{reference}", headers=headers)
        ).status_code == 404
        assert (
            await client.post(
                f"{ADMIN}/invoices/{invoice['id']}/payments", headers=headers, json={"amount": "1"}
            )
        ).status_code == 404
        assert (
            await client.post(
                f"{ADMIN}/tenants/{other_tenant['id']}/quick-pay",
                headers=headers,
                json={"amount": "1"},
            )
        ).status_code == 404
