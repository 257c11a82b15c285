"""Issuing credit notes: full, by lines, by amounts; numbering; what remains creditable."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.credit_notes.conftest import ADMIN, credit, credit_notes_url, invoice_detail, issue
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

YEAR = datetime.now(UTC).year  # the operator's time zone is UTC in these tests


def item(invoice: Any, position: int) -> Any:
    return next(line for line in invoice["items"] if line["position"] == position)


class TestFullCreditNote:
    async def test_mirrors_the_invoice_line_for_line_and_cancels_it(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        response = await credit(client, tokens, invoice["id"])
        assert response.status_code == 201, response.text
        note = response.json()["data"]
        assert note["kind"] == "full"
        assert note["type_code"] == "381"
        assert re.fullmatch(rf"CN-{YEAR}-\d{{5}}", note["credit_note_number"])
        assert note["invoice_number"] == invoice["invoice_number"]
        assert note["invoice_issue_date"] == invoice["issue_date"]
        for field in ("subtotal", "discount_amount", "tax_amount", "total_amount"):
            assert note[field] == invoice[field], field
        assert note["tax_breakdown"] == invoice["tax_breakdown"]
        assert [
            (line["invoice_item_id"], line["quantity"], line["unit_price"], line["line_total"])
            for line in note["items"]
        ] == [
            (line["id"], line["quantity"], line["unit_price"], line["line_total"])
            for line in invoice["items"]
        ]
        assert note["settlement"] == "reduce_balance"
        assert (note["balance_reduction"], note["refunded_amount"], note["wallet_amount"]) == (
            "221.35",
            "0.00",
            "0.00",
        )
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert detail["status"] == "cancelled"
        assert detail["cancelled_at"] is not None
        assert (detail["amount_credited"], detail["balance"]) == ("221.35", "0.00")
        assert [summary["id"] for summary in detail["credit_notes"]] == [note["id"]]
        assert detail["credit_notes"][0]["credit_note_number"] == note["credit_note_number"]

    async def test_a_fully_credited_invoice_takes_no_more(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        assert (await credit(client, tokens, invoice["id"])).status_code == 201
        for body in ({}, {"amounts": [{"tax_category": "S", "tax_rate": "19", "amount": "1"}]}):
            again = await credit(client, tokens, invoice["id"], **body)
            assert again.status_code == 409
            assert again.json()["error"]["code"] == "invoice_not_creditable"
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert len(detail["credit_notes"]) == 1

    async def test_drafts_take_no_credit_note(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        draft = await factory.create_invoice(buyer["id"])
        response = await credit(client, tokens, draft["id"])
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "invoice_not_creditable"


class TestNumbering:
    async def test_own_gap_free_series_untouched_by_refusals(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        await factory.put_settings(credit_note_prefix="GUT", credit_note_series="yearly_sequence")
        first_invoice = await issue(factory, buyer["id"])
        second_invoice = await issue(factory, buyer["id"])
        line = item(first_invoice, 2)
        first = await credit(
            client,
            tokens,
            first_invoice["id"],
            lines=[{"invoice_item_id": line["id"], "quantity": "1"}],
        )
        refused = await credit(
            client,
            tokens,
            first_invoice["id"],
            lines=[{"invoice_item_id": line["id"], "quantity": "5"}],
        )
        assert refused.status_code == 400
        second = await credit(client, tokens, second_invoice["id"])
        numbers = [r.json()["data"]["credit_note_number"] for r in (first, second)]
        sequences = [int(number.rsplit("-", 1)[1]) for number in numbers]
        assert all(number.startswith(f"GUT-{YEAR}-") for number in numbers)
        assert sequences[1] == sequences[0] + 1
        # Invoices keep their own series.
        third_invoice = await issue(factory, buyer["id"])
        assert not third_invoice["invoice_number"].startswith("GUT")

    async def test_daily_letter_series(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        await factory.put_settings(credit_note_prefix="CRN", credit_note_series="daily_letter")
        invoice = await issue(factory, buyer["id"])
        response = await credit(client, tokens, invoice["id"])
        assert response.status_code == 201, response.text
        number = response.json()["data"]["credit_note_number"]
        assert re.fullmatch(rf"CRN-{YEAR}-[A-Z]{{3}}-\d{{2}}Z*[A-Z]", number), number

    async def test_prefix_must_differ_from_the_invoices(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.put(
            f"{ADMIN}/settings", json={"credit_note_prefix": "INV"}, headers=tokens.admin()
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "settings_invalid"
        settings = (await client.get(f"{ADMIN}/settings", headers=tokens.admin())).json()
        assert settings["data"]["credit_note_prefix"] != "INV"


class TestByLines:
    async def test_a_line_takes_its_share_of_the_document_discount(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        setup = item(invoice, 3)
        response = await credit(
            client, tokens, invoice["id"], lines=[{"invoice_item_id": setup["id"], "quantity": "1"}]
        )
        assert response.status_code == 201, response.text
        note = response.json()["data"]
        # 5.01 discount x 120.00 / 193.31 of lines = 3.11; VAT 19 % of 116.89 = 22.21.
        assert (note["subtotal"], note["discount_amount"]) == ("120.00", "3.11")
        assert note["tax_breakdown"] == [
            {"category": "S", "rate": "19.00", "taxable_amount": "116.89", "tax_amount": "22.21"}
        ]
        assert note["total_amount"] == "139.10"
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert detail["status"] == "issued"
        assert (detail["amount_credited"], detail["balance"]) == ("139.10", "82.25")
        assert detail["payment_status"] == "pending"

    async def test_parts_of_a_line_never_exceed_it_and_the_last_takes_its_rest(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"], discount_amount="0")
        cloud = item(invoice, 1)  # 1.5 x 33.333 = 50.00
        body = {"lines": [{"invoice_item_id": cloud["id"], "quantity": "0.5"}]}
        totals = []
        for _ in range(3):
            response = await credit(client, tokens, invoice["id"], **body)
            assert response.status_code == 201, response.text
            totals.append(response.json()["data"]["items"][0])
        assert [line["line_total"] for line in totals] == ["16.67", "16.67", "16.66"]
        # The last part is priced from what was left so that 0.5 x price = 16.66 (R120).
        assert totals[2]["unit_price"] == "33.32"
        fourth = await credit(client, tokens, invoice["id"], **body)
        assert fourth.status_code == 400
        error = fourth.json()["error"]
        assert error["code"] == "credit_exceeds_remaining"
        assert error["details"] == [
            {"invoice_item_id": cloud["id"], "remaining": "0", "requested": "0.5"}
        ]

    async def test_crediting_every_line_in_parts_credits_the_invoice_in_full(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        requests = [
            [{"invoice_item_id": item(invoice, 1)["id"], "quantity": "1"}],
            [
                {"invoice_item_id": item(invoice, 2)["id"], "quantity": "3"},
                {"invoice_item_id": item(invoice, 1)["id"], "quantity": "0.5"},
            ],
            [{"invoice_item_id": item(invoice, 3)["id"], "quantity": "1"}],
        ]
        notes = []
        for lines in requests:
            response = await credit(client, tokens, invoice["id"], lines=lines)
            assert response.status_code == 201, response.text
            notes.append(response.json()["data"])
        discounts = sum(Decimal(note["discount_amount"]) for note in notes)
        assert discounts == Decimal("5.01")
        credited = sum(Decimal(note["total_amount"]) for note in notes)
        # Each credit note rounds its own VAT (BR-CO-17): never more than the invoice.
        assert Decimal("221.33") <= credited <= Decimal("221.35")
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert detail["status"] == "cancelled"
        assert Decimal(detail["amount_credited"]) == credited
        assert (await credit(client, tokens, invoice["id"])).status_code == 409

    async def test_unknown_lines_and_excess_quantities_change_nothing(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        other = await issue(factory, buyer["id"])
        foreign = await credit(
            client,
            tokens,
            invoice["id"],
            lines=[{"invoice_item_id": item(other, 1)["id"], "quantity": "1"}],
        )
        assert foreign.status_code == 422
        assert foreign.json()["error"]["code"] == "credit_note_invalid"
        excess = await credit(
            client,
            tokens,
            invoice["id"],
            lines=[{"invoice_item_id": item(invoice, 2)["id"], "quantity": "3.000001"}],
        )
        assert excess.status_code == 400
        assert excess.json()["error"]["code"] == "credit_exceeds_remaining"
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert (detail["credit_notes"], detail["amount_credited"]) == ([], "0.00")


class TestByAmounts:
    async def test_net_amount_of_a_vat_group_gets_its_vat(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        response = await credit(
            client,
            tokens,
            invoice["id"],
            amounts=[
                {"tax_category": "S", "tax_rate": "7", "amount": "10.00"},
                {"tax_category": "S", "tax_rate": "19.00", "amount": "100"},
            ],
        )
        assert response.status_code == 201, response.text
        note = response.json()["data"]
        assert note["kind"] == "amounts"
        assert note["tax_breakdown"] == [
            {"category": "S", "rate": "7.00", "taxable_amount": "10.00", "tax_amount": "0.70"},
            {"category": "S", "rate": "19.00", "taxable_amount": "100.00", "tax_amount": "19.00"},
        ]
        assert note["total_amount"] == "129.70"
        assert all(line["invoice_item_id"] is None for line in note["items"])

    async def test_a_vat_group_never_credits_more_than_its_taxable_amount(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])  # 7 % group: 23.31 - 0.60 discount = 22.71
        first = await credit(
            client,
            tokens,
            invoice["id"],
            amounts=[{"tax_category": "S", "tax_rate": "7", "amount": "10"}],
        )
        assert first.status_code == 201
        too_much = await credit(
            client,
            tokens,
            invoice["id"],
            amounts=[{"tax_category": "S", "tax_rate": "7", "amount": "12.72"}],
        )
        assert too_much.status_code == 400
        error = too_much.json()["error"]
        assert error["code"] == "credit_exceeds_remaining"
        assert error["details"][0]["remaining"] == "12.71"
        rest = await credit(
            client,
            tokens,
            invoice["id"],
            amounts=[{"tax_category": "S", "tax_rate": "7", "amount": "12.71"}],
        )
        assert rest.status_code == 201

    @pytest.mark.parametrize(
        ("amount", "field"),
        [
            ({"tax_category": "S", "tax_rate": "16", "amount": "1"}, "amounts.tax_rate"),
            ({"tax_category": "Z", "tax_rate": "0", "amount": "1"}, "amounts.tax_rate"),
            ({"tax_category": "S", "tax_rate": "19", "amount": "1.005"}, "amounts.amount"),
        ],
    )
    async def test_groups_the_invoice_does_not_have_or_sub_cent_amounts(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        amount: dict[str, str],
        field: str,
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        response = await credit(client, tokens, invoice["id"], amounts=[amount])
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "credit_note_invalid"
        assert response.json()["error"]["details"][0]["field"] == field


class TestIssueDate:
    async def test_defaults_to_today_and_never_precedes_the_invoice(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"], issue_date="2026-03-10")
        early = await credit(client, tokens, invoice["id"], issue_date="2026-03-09")
        assert early.status_code == 422
        assert early.json()["error"]["details"] == [{"field": "issue_date", "value": "2026-03-09"}]
        dated = await credit(client, tokens, invoice["id"], issue_date="2026-03-10")
        assert dated.status_code == 201
        assert dated.json()["data"]["issue_date"] == "2026-03-10"
        assert dated.json()["data"]["credit_note_number"].split("-")[1] == "2026"


class TestBadInput:
    @pytest.mark.parametrize(
        "body",
        [
            {"reason": ""},
            {"reason": "Broken\x00reason"},
            {"reason": "x" * 501},
            {"reason": "ok", "settlement": "cash"},
            {"reason": "ok", "lines": []},
            {"reason": "ok", "lines": [{"invoice_item_id": "not-a-uuid", "quantity": "1"}]},
            {"reason": "ok", "amounts": [{"tax_category": "S", "tax_rate": "19", "amount": "0"}]},
            {
                "reason": "ok",
                "amounts": [{"tax_category": "S", "tax_rate": "19", "amount": "1" + "0" * 40}],
            },
            {
                "reason": "ok",
                "amounts": [{"tax_category": "S", "tax_rate": "19", "amount": "1"}],
                "lines": [
                    {"invoice_item_id": "00000000-0000-0000-0000-000000000000", "quantity": "1"}
                ],
            },
            {"reason": "ok", "issue_date": "2026-13-01"},
            {"reason": "ok", "unknown": True},
            {},
        ],
    )
    async def test_refused_with_422_and_nothing_written(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        body: dict[str, Any],
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        response = await client.post(
            credit_notes_url(invoice["id"]), json=body, headers=tokens.admin()
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "validation_error"
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert detail["credit_notes"] == []
        assert detail["status"] == "issued"

    async def test_duplicate_lines_are_refused(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        line = {"invoice_item_id": item(invoice, 2)["id"], "quantity": "1"}
        response = await credit(client, tokens, invoice["id"], lines=[line, line])
        assert response.status_code == 422

    async def test_replayed_request_issues_one_credit_note(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        headers = {**tokens.admin(), "Idempotency-Key": f"cn-{invoice['id']}"}
        body = {
            "reason": "Goodwill",
            "amounts": [{"tax_category": "S", "tax_rate": "19", "amount": "5"}],
        }
        first = await client.post(credit_notes_url(invoice["id"]), json=body, headers=headers)
        replay = await client.post(credit_notes_url(invoice["id"]), json=body, headers=headers)
        assert first.status_code == replay.status_code == 201
        assert replay.headers.get("idempotent-replayed") == "true"
        assert replay.json()["data"]["id"] == first.json()["data"]["id"]
        changed = await client.post(
            credit_notes_url(invoice["id"]), json={**body, "reason": "Other"}, headers=headers
        )
        assert changed.status_code == 409
        detail = await invoice_detail(client, tokens, invoice["id"])
        assert len(detail["credit_notes"]) == 1
        assert detail["amount_credited"] == "5.95"
