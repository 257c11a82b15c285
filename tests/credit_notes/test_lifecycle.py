"""Cancellation issues exactly one full credit note; concurrent credit notes never over-credit."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.credit_notes.conftest import ADMIN, credit, invoice_detail, issue
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory


async def credit_notes_of(client: httpx.AsyncClient, tokens: Tokens, invoice_id: str) -> Any:
    response = await client.get(
        f"{ADMIN}/credit-notes", params={"invoice_id": invoice_id}, headers=tokens.admin()
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


class TestCancellation:
    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("PUT", "cancel", {"reason": "Wrong customer"}),
            ("POST", "void", None),
            ("PATCH", "status", {"status": "void"}),
        ],
    )
    async def test_cancelling_an_issued_invoice_issues_exactly_one_full_credit_note(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        method: str,
        path: str,
        body: dict[str, str] | None,
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        url = f"{ADMIN}/invoices/{invoice['id']}/{path}"
        response = await client.request(method, url, json=body, headers=tokens.admin())
        assert response.status_code == 200, response.text
        cancelled = response.json()["data"]
        assert (cancelled["status"], cancelled["balance"]) == ("cancelled", "0.00")
        assert cancelled["invoice_number"] == invoice["invoice_number"]
        notes = await credit_notes_of(client, tokens, invoice["id"])
        assert [note["id"] for note in cancelled["credit_notes"]] == [notes[0]["id"]]
        note = notes[0]
        assert (note["kind"], note["total_amount"], note["settlement"]) == (
            "full",
            invoice["total_amount"],
            "reduce_balance",
        )
        assert note["reason"] == (body or {}).get("reason", "Invoice cancelled")
        again = await client.request(method, url, json=body, headers=tokens.admin())
        assert again.status_code == 409
        assert len(await credit_notes_of(client, tokens, invoice["id"])) == 1

    async def test_concurrent_cancellations_issue_one_credit_note(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        url = f"{ADMIN}/invoices/{invoice['id']}/cancel"
        responses = await asyncio.gather(
            *(client.put(url, headers=tokens.admin()) for _ in range(4))
        )
        assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
        assert len(await credit_notes_of(client, tokens, invoice["id"])) == 1

    async def test_a_draft_is_cancelled_without_a_credit_note(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        draft = await factory.create_invoice(buyer["id"])
        response = await client.put(
            f"{ADMIN}/invoices/{draft['id']}/cancel", headers=tokens.admin()
        )
        assert response.status_code == 200
        assert response.json()["data"]["credit_notes"] == []
        assert response.json()["data"]["invoice_number"] is None

    async def test_a_paid_invoice_is_not_cancelled_but_can_be_credited(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        await client.post(
            f"{ADMIN}/invoices/{invoice['id']}/payments",
            json={"amount": "10.00", "method": "cash"},
            headers=tokens.admin(),
        )
        response = await client.put(
            f"{ADMIN}/invoices/{invoice['id']}/cancel", headers=tokens.admin()
        )
        assert response.status_code == 409
        assert "credit note" in response.json()["error"]["message"]
        assert await credit_notes_of(client, tokens, invoice["id"]) == []

    async def test_cancelling_after_partial_credit_notes_credits_what_remains(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        setup = next(line for line in invoice["items"] if line["position"] == 3)
        partial = await credit(
            client, tokens, invoice["id"], lines=[{"invoice_item_id": setup["id"], "quantity": "1"}]
        )
        assert partial.status_code == 201
        response = await client.put(
            f"{ADMIN}/invoices/{invoice['id']}/cancel", headers=tokens.admin()
        )
        assert response.status_code == 200, response.text
        notes = await credit_notes_of(client, tokens, invoice["id"])
        assert sorted(note["kind"] for note in notes) == ["full", "lines"]
        total = sum(Decimal(note["total_amount"]) for note in notes)
        assert Decimal("221.34") <= total <= Decimal("221.35")
        remainder = next(note for note in notes if note["kind"] == "full")
        # The rest of each VAT group, with its VAT.
        assert {(g["rate"], g["taxable_amount"]) for g in remainder["tax_breakdown"]} == {
            ("19.00", "48.70"),
            ("7.00", "22.71"),
        }

    async def test_consolidation_credits_each_original(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        first = await issue(factory, buyer["id"])
        second = await issue(factory, buyer["id"])
        credited = await issue(factory, buyer["id"])
        assert (
            await credit(
                client,
                tokens,
                credited["id"],
                amounts=[{"tax_category": "S", "tax_rate": "7", "amount": "1"}],
            )
        ).status_code == 201
        response = await client.post(
            f"{ADMIN}/tenants/{buyer['id']}/consolidate",
            json={"currency": "EUR"},
            headers=tokens.admin(),
        )
        assert response.status_code == 200, response.text
        merged = response.json()["data"]["consolidated_invoice"]
        # An invoice with a credit note keeps it and stays out, like a partly paid one.
        assert set(response.json()["data"]["voided_invoice_ids"]) == {first["id"], second["id"]}
        for original in (first, second):
            notes = await credit_notes_of(client, tokens, original["id"])
            assert len(notes) == 1
            assert notes[0]["kind"] == "full"
            assert notes[0]["reason"] == f"Consolidated into invoice {merged['invoice_number']}"
            detail = await invoice_detail(client, tokens, original["id"])
            assert (detail["status"], detail["balance"]) == ("cancelled", "0.00")


class TestConcurrency:
    async def test_two_simultaneous_credit_notes_cannot_exceed_the_invoice(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])  # 19 % group: 165.59 net
        body = {"amounts": [{"tax_category": "S", "tax_rate": "19", "amount": "100.00"}]}
        responses = await asyncio.gather(
            credit(client, tokens, invoice["id"], **body),
            credit(client, tokens, invoice["id"], **body),
        )
        assert sorted(r.status_code for r in responses) == [201, 400]
        refused = next(r for r in responses if r.status_code == 400)
        assert refused.json()["error"]["code"] == "credit_exceeds_remaining"
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert detail["amount_credited"] == "119.00"
        assert len(detail["credit_notes"]) == 1

    async def test_concurrent_line_credits_credit_each_unit_once(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        support = next(line for line in invoice["items"] if line["position"] == 2)  # 3 units
        body = {"lines": [{"invoice_item_id": support["id"], "quantity": "1"}]}
        responses = await asyncio.gather(
            *(credit(client, tokens, invoice["id"], **body) for _ in range(6))
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201, 201, 201, 400, 400, 400]
        notes = await credit_notes_of(client, tokens, invoice["id"])
        assert sum(Decimal(note["items"][0]["quantity"]) for note in notes) == Decimal(3)
        numbers = sorted(note["credit_note_number"] for note in notes)
        sequences = [int(number.rsplit("-", 1)[1]) for number in numbers]
        assert sequences == list(range(sequences[0], sequences[0] + 3))

    async def test_concurrent_full_credit_notes_and_cancellation(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        responses = await asyncio.gather(
            credit(client, tokens, invoice["id"]),
            credit(client, tokens, invoice["id"]),
            client.put(f"{ADMIN}/invoices/{invoice['id']}/cancel", headers=tokens.admin()),
        )
        assert sorted(r.status_code for r in responses).count(409) == 2
        notes = await credit_notes_of(client, tokens, invoice["id"])
        assert len(notes) == 1
        assert notes[0]["total_amount"] == "221.35"


class TestBadReasons:
    async def test_control_characters_in_a_cancel_or_refund_reason_change_nothing(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        cancel = await client.put(
            f"{ADMIN}/invoices/{invoice['id']}/cancel",
            json={"reason": "bad\x00reason"},
            headers=tokens.admin(),
        )
        assert cancel.status_code == 422
        paid = await client.post(
            f"{ADMIN}/invoices/{invoice['id']}/payments",
            json={"amount": "221.35", "method": "cash"},
            headers=tokens.admin(),
        )
        payment = paid.json()["data"]["payment"]
        refund = await client.post(
            f"{ADMIN}/payments/{payment['id']}/refund",
            json={"reason": "bad\x07reason", "credit_note": True},
            headers=tokens.admin(),
        )
        assert refund.status_code == 422
        huge = await client.post(
            f"{ADMIN}/payments/{payment['id']}/refund",
            json={"amount": "9" * 40, "credit_note": True},
            headers=tokens.admin(),
        )
        assert huge.status_code == 422
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert (detail["status"], detail["amount_paid"], detail["credit_notes"]) == (
            "paid",
            "221.35",
            [],
        )
