"""What a credit note does to the money: reduce the balance, refund, or credit the wallet;
and the credit notes of refunds. The ledger rows are read back as the owner."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from tests.credit_notes.conftest import (
    ADMIN,
    credit,
    invoice_detail,
    issue,
    owner_rows,
    pay,
)
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

SINGLE_RATE = [{"name": "Plan", "quantity": "1", "unit_price": "100.00", "tax_rate": "19"}]


async def wallet(client: httpx.AsyncClient, tokens: Tokens, tenant_id: str) -> dict[str, str]:
    response = await client.get(f"{ADMIN}/tenants/{tenant_id}/wallet", headers=tokens.admin())
    assert response.status_code == 200, response.text
    return {item["currency"]: item["balance"] for item in response.json()["data"]["balances"]}


async def refund(
    client: httpx.AsyncClient, tokens: Tokens, payment_id: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"{ADMIN}/payments/{payment_id}/refund", json=body, headers=tokens.admin()
    )


class TestReduceBalance:
    async def test_cannot_reduce_more_than_is_open(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        await pay(client, tokens, invoice["id"], "200.00")
        response = await credit(client, tokens, invoice["id"])
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "credit_exceeds_balance"
        assert error["details"] == [{"open_balance": "21.35", "credit_total": "221.35"}]
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert (detail["amount_paid"], detail["amount_credited"]) == ("200.00", "0.00")
        assert detail["credit_notes"] == []

    async def test_credit_then_payment_of_the_rest_makes_it_paid(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"], items=SINGLE_RATE, discount_amount="0")
        response = await credit(
            client,
            tokens,
            invoice["id"],
            amounts=[{"tax_category": "S", "tax_rate": "19", "amount": "20.00"}],
        )
        assert response.status_code == 201
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert (detail["balance"], detail["payment_status"]) == ("95.20", "pending")
        too_much = await client.post(
            f"{ADMIN}/invoices/{invoice['id']}/payments",
            json={"amount": "95.21", "method": "cash"},
            headers=tokens.admin(),
        )
        assert too_much.status_code == 400
        assert too_much.json()["error"]["code"] == "amount_exceeds_balance"
        await pay(client, tokens, invoice["id"], "95.20")
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert (detail["status"], detail["payment_status"], detail["balance"]) == (
            "paid",
            "paid",
            "0.00",
        )
        listed = await client.get(
            f"{ADMIN}/invoices",
            params={"tenant_id": buyer["id"], "payment_status": "paid"},
            headers=tokens.admin(),
        )
        assert invoice["id"] in {item["id"] for item in listed.json()["data"]}


class TestRefund:
    async def test_gives_back_the_newest_payment_first_and_keeps_the_invoice_paid(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        database_url: str,
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        first = await pay(client, tokens, invoice["id"], "100.00", "cash")
        second = await pay(client, tokens, invoice["id"], "121.35", "bank")
        response = await credit(
            client,
            tokens,
            invoice["id"],
            settlement="refund",
            amounts=[{"tax_category": "S", "tax_rate": "19", "amount": "50.00"}],
        )
        assert response.status_code == 201, response.text
        note = response.json()["data"]
        assert (note["total_amount"], note["refunded_amount"], note["balance_reduction"]) == (
            "59.50",
            "59.50",
            "0.00",
        )
        refunds = await owner_rows(
            database_url,
            "SELECT payment_id, amount, credit_note_id FROM refunds WHERE tenant_id = $1",
            uuid.UUID(buyer["id"]),
        )
        assert [(str(r["payment_id"]), r["amount"], str(r["credit_note_id"])) for r in refunds] == [
            (second["id"], Decimal("59.5000"), note["id"])
        ]
        allocations = await owner_rows(
            database_url,
            "SELECT amount FROM payment_allocations WHERE credit_note_id = $1",
            uuid.UUID(note["id"]),
        )
        assert [row["amount"] for row in allocations] == [Decimal("-59.5000")]
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert (detail["amount_paid"], detail["amount_refunded"], detail["amount_credited"]) == (
            "161.85",
            "59.50",
            "59.50",
        )
        assert (detail["balance"], detail["status"], detail["payment_status"]) == (
            "0.00",
            "paid",
            "paid",
        )
        payments = await client.get(
            f"{ADMIN}/invoices/{invoice['id']}/payments", headers=tokens.admin()
        )
        allocated = [Decimal(p["allocated_amount"]) for p in payments.json()["data"]]
        assert allocated == [Decimal("100.00"), Decimal("61.85")]
        assert first["id"] != second["id"]

    async def test_full_credit_of_a_partly_paid_invoice_refunds_what_was_paid(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        await pay(client, tokens, invoice["id"], "100.00")
        response = await credit(client, tokens, invoice["id"], settlement="refund")
        assert response.status_code == 201, response.text
        note = response.json()["data"]
        assert (note["refunded_amount"], note["balance_reduction"]) == ("100.00", "121.35")
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert (detail["status"], detail["payment_status"]) == ("cancelled", "refunded")
        assert (detail["balance"], detail["amount_paid"], detail["amount_refunded"]) == (
            "0.00",
            "0.00",
            "100.00",
        )

    async def test_nothing_paid_nothing_to_refund(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        for settlement in ("refund", "wallet"):
            response = await credit(client, tokens, invoice["id"], settlement=settlement)
            assert response.status_code == 400
            assert response.json()["error"]["code"] == "nothing_paid_to_return"
        assert (await invoice_detail(client, tokens, invoice["id"]))["credit_notes"] == []


class TestWallet:
    async def test_paid_money_moves_to_the_wallet_and_can_pay_another_invoice(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        database_url: str,
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        payment = await pay(client, tokens, invoice["id"], "221.35")
        response = await credit(client, tokens, invoice["id"], settlement="wallet")
        assert response.status_code == 201, response.text
        note = response.json()["data"]
        assert (note["wallet_amount"], note["refunded_amount"]) == ("221.35", "0.00")
        assert await wallet(client, tokens, buyer["id"]) == {"EUR": "221.35"}
        entries = await owner_rows(
            database_url,
            "SELECT kind, amount, payment_id, invoice_id FROM wallet_entries"
            " WHERE credit_note_id = $1",
            uuid.UUID(note["id"]),
        )
        assert [(r["kind"], r["amount"], str(r["payment_id"])) for r in entries] == [
            ("credit_note", Decimal("221.3500"), payment["id"])
        ]
        # Nothing left the operator: no refund row.
        assert not await owner_rows(
            database_url, "SELECT 1 FROM refunds WHERE tenant_id = $1", uuid.UUID(buyer["id"])
        )
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert (detail["status"], detail["payment_status"], detail["amount_paid"]) == (
            "cancelled",
            "refunded",
            "0.00",
        )
        other = await issue(factory, buyer["id"], items=SINGLE_RATE, discount_amount="0")
        applied = await client.post(
            f"{ADMIN}/invoices/{other['id']}/apply-wallet", json={}, headers=tokens.admin()
        )
        assert applied.status_code == 200, applied.text
        assert await wallet(client, tokens, buyer["id"]) == {"EUR": "102.35"}
        # The original payment can still be refunded: what it left in the wallet goes back.
        back = await refund(client, tokens, payment["id"], amount="102.35")
        assert back.status_code == 201, back.text
        assert await wallet(client, tokens, buyer["id"]) == {"EUR": "0.00"}


class TestRefundRouteCreditNotes:
    async def test_manual_refund_issues_a_credit_note_of_exactly_its_amount(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        payment = await pay(client, tokens, invoice["id"], "221.35")
        response = await refund(
            client, tokens, payment["id"], amount="119.00", reason="Returned", credit_note=True
        )
        assert response.status_code == 201, response.text
        body = response.json()["data"]
        assert len(body["credit_note_ids"]) == 1
        note = (
            await client.get(
                f"{ADMIN}/credit-notes/{body['credit_note_ids'][0]}", headers=tokens.admin()
            )
        ).json()["data"]
        assert (note["total_amount"], note["settlement"], note["refunded_amount"]) == (
            "119.00",
            "refund",
            "119.00",
        )
        assert note["reason"] == "Returned"
        assert note["kind"] == "amounts"
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert (detail["amount_paid"], detail["amount_credited"], detail["balance"]) == (
            "102.35",
            "119.00",
            "0.00",
        )
        assert (detail["status"], detail["payment_status"]) == ("paid", "paid")

    async def test_refunding_everything_credits_the_invoice_in_full(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        payment = await pay(client, tokens, invoice["id"], "221.35")
        response = await refund(client, tokens, payment["id"], credit_note=True)
        assert response.status_code == 201, response.text
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert [note["kind"] for note in detail["credit_notes"]] == ["full"]
        assert detail["credit_notes"][0]["id"] == response.json()["data"]["credit_note_ids"][0]
        assert (detail["status"], detail["payment_status"], detail["balance"]) == (
            "cancelled",
            "refunded",
            "0.00",
        )

    async def test_without_credit_note_the_refund_reopens_the_balance(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        payment = await pay(client, tokens, invoice["id"], "221.35")
        response = await refund(client, tokens, payment["id"], amount="21.35")
        assert response.status_code == 201
        assert response.json()["data"]["credit_note_ids"] == []
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert (detail["status"], detail["balance"], detail["credit_notes"]) == (
            "issued",
            "21.35",
            [],
        )

    async def test_an_impossible_credit_note_refunds_nothing(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        database_url: str,
    ) -> None:
        invoice = await issue(factory, buyer["id"], items=SINGLE_RATE, discount_amount="0")
        payment = await pay(client, tokens, invoice["id"], "119.00")
        # With one 19 % group, a total is net + VAT(net) rounded: some totals cannot exist.
        unreachable = next(
            total
            for total in (Decimal(cents) / 100 for cents in range(100, 11900))
            if all(
                net + (net * Decimal("0.19")).quantize(Decimal("0.01"), ROUND_HALF_UP) != total
                for net in (
                    Decimal(c) / 100 for c in range(int(total * 84) - 2, int(total * 84) + 3)
                )
            )
        )
        response = await refund(
            client, tokens, payment["id"], amount=str(unreachable), credit_note=True
        )
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "credit_amount_unreachable"
        assert len(error["details"][0]["nearest"]) == 2
        assert not await owner_rows(
            database_url, "SELECT 1 FROM refunds WHERE payment_id = $1", uuid.UUID(payment["id"])
        )
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert (detail["amount_paid"], detail["credit_notes"]) == ("119.00", [])
        nearest = error["details"][0]["nearest"][0]
        ok = await refund(client, tokens, payment["id"], amount=nearest, credit_note=True)
        assert ok.status_code == 201, ok.text
