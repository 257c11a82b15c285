"""Who sees which credit notes, and their documents in every format."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from lxml import etree

from billing.renderers.validation import Syntax, validate_xml
from billing.renderers.zugferd import embedded_xml
from tests.credit_notes.conftest import (
    ADMIN,
    TENANT,
    create_buyer,
    credit,
    credit_notes_url,
    invoice_detail,
    issue,
    owner_rows,
    tenant_headers,
)
from tests.documents.conftest import CII_NS, UBL_NS, cii_totals, ubl_totals
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.renderers.pdf_tools import page_texts

FORMATS = [
    ("ubl", "application/xml", "-ubl.xml", Syntax.UBL),
    ("xrechnung", "application/xml", "-xrechnung.xml", Syntax.UBL),
    ("cii", "application/xml", "-cii.xml", Syntax.CII),
    ("zugferd", "application/pdf", "-facturx.pdf", Syntax.CII),
    ("facturx", "application/pdf", "-facturx.pdf", Syntax.CII),
]


async def issued_credit_note(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any, **body: Any
) -> tuple[Any, Any]:
    invoice = await issue(factory, tenant["id"])
    response = await credit(client, tokens, invoice["id"], **body)
    assert response.status_code == 201, response.text
    return invoice, response.json()["data"]


def partial_lines(invoice: Any) -> list[dict[str, str]]:
    return [
        {"invoice_item_id": invoice["items"][0]["id"], "quantity": "0.5"},
        {"invoice_item_id": invoice["items"][1]["id"], "quantity": "2"},
    ]


class TestScoping:
    async def test_tenants_list_and_read_only_their_own(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        other = await create_buyer(factory, tokens)
        _, mine = await issued_credit_note(client, tokens, factory, buyer)
        _, theirs = await issued_credit_note(client, tokens, factory, other)
        headers = tenant_headers(tokens, buyer)
        listed = await client.get(f"{TENANT}/credit-notes", headers=headers)
        assert listed.status_code == 200
        assert [note["id"] for note in listed.json()["data"]] == [mine["id"]]
        assert listed.json()["pagination"]["total"] == 1
        own = await client.get(f"{TENANT}/credit-notes/{mine['id']}", headers=headers)
        assert own.status_code == 200
        assert own.json()["data"] == mine
        member = tokens.member(uuid.UUID(buyer["id"]))
        assert (await client.get(f"{TENANT}/credit-notes/{mine['id']}", headers=member)).is_success
        for url in (
            f"{TENANT}/credit-notes/{theirs['id']}",
            f"{TENANT}/credit-notes/{theirs['id']}/download?format=ubl",
            f"{TENANT}/credit-notes/{theirs['id']}/pdf",
            f"{TENANT}/credit-notes/{uuid.uuid4()}",
        ):
            response = await client.get(url, headers=headers)
            assert response.status_code == 404, url
            assert response.json()["error"]["code"] == "credit_note_not_found"

    async def test_invoice_detail_lists_its_credit_notes_for_the_tenant_too(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice, note = await issued_credit_note(client, tokens, factory, buyer)
        response = await client.get(
            f"{TENANT}/invoices/{invoice['id']}", headers=tenant_headers(tokens, buyer)
        )
        assert [summary["id"] for summary in response.json()["data"]["credit_notes"]] == [
            note["id"]
        ]
        filtered = await client.get(
            f"{TENANT}/credit-notes",
            params={"invoice_id": invoice["id"]},
            headers=tenant_headers(tokens, buyer),
        )
        assert [item["id"] for item in filtered.json()["data"]] == [note["id"]]

    async def test_staff_routes_refuse_tenants_and_anonymous_callers(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        body = {"reason": "x"}
        owner = tenant_headers(tokens, buyer)
        assert (await client.post(credit_notes_url(invoice["id"]), json=body)).status_code == 401
        forbidden = await client.post(credit_notes_url(invoice["id"]), json=body, headers=owner)
        assert forbidden.status_code == 403
        assert (await client.get(f"{ADMIN}/credit-notes", headers=owner)).status_code == 403
        assert (
            await client.get(f"{TENANT}/credit-notes", headers=tokens.admin())
        ).status_code == 403
        assert (await invoice_detail(client, tokens, invoice["id"]))["credit_notes"] == []

    async def test_unknown_invoice_is_404_and_writes_nothing(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await credit(client, tokens, str(uuid.uuid4()))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "invoice_not_found"

    async def test_reseller_sees_and_credits_only_its_subtree(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        database_url: str,
    ) -> None:
        mine = await factory.create_reseller()
        theirs = await factory.create_reseller()
        child = await factory.create_reseller(parent_id=uuid.UUID(mine["id"]))
        my_buyer = await create_buyer(factory, tokens, reseller_id=child["id"])
        their_buyer = await create_buyer(factory, tokens, reseller_id=theirs["id"])
        my_invoice = await issue(factory, my_buyer["id"])
        their_invoice = await issue(factory, their_buyer["id"])
        _, their_note = await issued_credit_note(client, tokens, factory, their_buyer)
        headers = tokens.reseller(uuid.UUID(mine["id"]))
        allowed = await client.post(
            credit_notes_url(my_invoice["id"]), json={"reason": "Goodwill"}, headers=headers
        )
        assert allowed.status_code == 201, allowed.text
        hidden = await client.post(
            credit_notes_url(their_invoice["id"]), json={"reason": "Goodwill"}, headers=headers
        )
        assert hidden.status_code == 404
        assert hidden.json()["error"]["code"] == "invoice_not_found"
        assert not await owner_rows(
            database_url,
            "SELECT 1 FROM credit_notes WHERE invoice_id = $1",
            uuid.UUID(their_invoice["id"]),
        )
        listed = await client.get(f"{ADMIN}/credit-notes", headers=headers)
        assert [note["id"] for note in listed.json()["data"]] == [allowed.json()["data"]["id"]]
        for url in (
            f"{ADMIN}/credit-notes/{their_note['id']}",
            f"{ADMIN}/credit-notes/{their_note['id']}/download?format=cii",
        ):
            response = await client.get(url, headers=headers)
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "credit_note_not_found"


class TestDocuments:
    @pytest.mark.parametrize("kind", ["full", "lines"])
    @pytest.mark.parametrize(("document_format", "media_type", "suffix", "syntax"), FORMATS)
    async def test_every_format_is_a_valid_credit_note_of_the_invoice(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        kind: str,
        document_format: str,
        media_type: str,
        suffix: str,
        syntax: Syntax,
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        body = {"lines": partial_lines(invoice)} if kind == "lines" else {}
        response = await credit(client, tokens, invoice["id"], **body)
        note = response.json()["data"]
        url = f"{TENANT}/credit-notes/{note['id']}/download?format={document_format}"
        download = await client.get(url, headers=tenant_headers(tokens, buyer))
        assert download.status_code == 200, download.text
        assert download.headers["content-type"].startswith(media_type)
        number = note["credit_note_number"]
        assert download.headers["content-disposition"] == (
            f'attachment; filename="{number}{suffix}"'
        )
        xml = download.content
        if media_type == "application/pdf":
            xml = embedded_xml(download.content)
        assert validate_xml(xml, syntax) == []
        root = etree.fromstring(xml)
        if syntax is Syntax.UBL:
            assert etree.QName(root).localname == "CreditNote"
            assert root.findtext("cbc:CreditNoteTypeCode", namespaces=UBL_NS) == "381"
            reference = root.find("cac:BillingReference/cac:InvoiceDocumentReference", UBL_NS)
            assert reference is not None
            assert reference.findtext("cbc:ID", namespaces=UBL_NS) == invoice["invoice_number"]
            assert reference.findtext("cbc:IssueDate", namespaces=UBL_NS) == invoice["issue_date"]
            totals = ubl_totals(xml)
        else:
            assert root.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
            assert (
                root.findtext(
                    ".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=NS
                )
                == invoice["invoice_number"]
            )
            totals = cii_totals(xml)
        assert totals["BT-112"] == note["total_amount"]
        assert totals["BT-110"] == note["tax_amount"]

    async def test_pdf_says_credit_note_and_asks_nobody_to_pay(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice, note = await issued_credit_note(client, tokens, factory, buyer)
        response = await client.get(
            f"{ADMIN}/credit-notes/{note['id']}/pdf", headers=tokens.admin()
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        text = "\n".join(page_texts(response.content))
        assert f"Credit note {note['credit_note_number']}" in text
        assert invoice["invoice_number"] in text
        assert "Service not delivered" in text
        assert "221.35" in text
        assert "Balance due" not in text
        assert "deducted from the amount due" in text

    async def test_stored_once_and_served_byte_identical(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        database_url: str,
    ) -> None:
        _, note = await issued_credit_note(client, tokens, factory, buyer)
        urls = [
            f"{ADMIN}/credit-notes/{note['id']}/download?format=xrechnung",
            f"{TENANT}/credit-notes/{note['id']}/download?format=xrechnung",
        ]
        first = await client.get(urls[0], headers=tokens.admin())
        second = await client.get(urls[1], headers=tenant_headers(tokens, buyer))
        assert first.content == second.content
        assert first.headers["etag"] == second.headers["etag"]
        cached = await client.get(
            urls[0], headers={**tokens.admin(), "If-None-Match": first.headers["etag"]}
        )
        assert cached.status_code == 304
        rows = await owner_rows(
            database_url,
            "SELECT format FROM credit_note_documents WHERE credit_note_id = $1",
            uuid.UUID(note["id"]),
        )
        assert [row["format"] for row in rows] == ["xrechnung"]

    async def test_unknown_format_is_422(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        _, note = await issued_credit_note(client, tokens, factory, buyer)
        response = await client.get(
            f"{ADMIN}/credit-notes/{note['id']}/download?format=docx", headers=tokens.admin()
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "unknown_format"

    async def test_the_invoice_pdf_shows_what_was_credited(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        before = await client.get(f"{ADMIN}/invoices/{invoice['id']}/pdf", headers=tokens.admin())
        response = await credit(
            client,
            tokens,
            invoice["id"],
            amounts=[{"tax_category": "S", "tax_rate": "19", "amount": "100.00"}],
        )
        assert response.status_code == 201
        after = await client.get(f"{ADMIN}/invoices/{invoice['id']}/pdf", headers=tokens.admin())
        assert after.headers["etag"] != before.headers["etag"]
        text = "\n".join(page_texts(after.content))
        assert "Credited" in text
        assert "Credited\n-€ 119.00\nBalance due\n€ 102.35" in text
        xml_before = await client.get(
            f"{ADMIN}/invoices/{invoice['id']}/download?format=ubl", headers=tokens.admin()
        )
        assert b"<Invoice" in xml_before.content


NS = {**CII_NS, "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"}


CATEGORY_LINES = {
    "Z": {"tax_category": "Z", "tax_rate": "0"},
    "E": {
        "tax_category": "E",
        "tax_rate": "0",
        "tax_exemption_reason_code": "VATEX-EU-132",
        "tax_exemption_reason": "Exempt medical care",
    },
    "AE": {
        "tax_category": "AE",
        "tax_rate": "0",
        "tax_exemption_reason_code": "VATEX-EU-AE",
        "tax_exemption_reason": "Reverse charge",
    },
    "K": {
        "tax_category": "K",
        "tax_rate": "0",
        "tax_exemption_reason_code": "VATEX-EU-IC",
        "tax_exemption_reason": "Intra-Community supply",
    },
    "G": {
        "tax_category": "G",
        "tax_rate": "0",
        "tax_exemption_reason_code": "VATEX-EU-G",
        "tax_exemption_reason": "Export outside the EU",
    },
    "O": {
        "tax_category": "O",
        "tax_rate": "0",
        "tax_exemption_reason_code": "VATEX-EU-O",
        "tax_exemption_reason": "Not subject to VAT",
    },
}


class TestVatCategories:
    @pytest.mark.parametrize("category", list(CATEGORY_LINES))
    @pytest.mark.parametrize(
        ("document_format", "syntax"), [("ubl", Syntax.UBL), ("cii", Syntax.CII)]
    )
    async def test_partial_credit_notes_of_every_category_are_valid(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        category: str,
        document_format: str,
        syntax: Syntax,
    ) -> None:
        # K needs a buyer in another member state; the others take the German buyer.
        profile: dict[str, Any] = {}
        if category == "K":
            profile = {
                "country_code": "FR",
                "vat_id": "FR40303265045",
                "peppol_scheme": "9957",
                "peppol_endpoint_id": "FR40303265045",
            }
        tenant = await create_buyer(factory, tokens, **profile)
        line = {
            "name": "Service",
            "quantity": "4",
            "unit_price": "25.00",
            **CATEGORY_LINES[category],
        }
        invoice = await issue(factory, tenant["id"], items=[line], discount_amount="10.00")
        response = await credit(
            client,
            tokens,
            invoice["id"],
            lines=[{"invoice_item_id": invoice["items"][0]["id"], "quantity": "1"}],
        )
        assert response.status_code == 201, response.text
        note = response.json()["data"]
        assert (note["subtotal"], note["discount_amount"], note["total_amount"]) == (
            "25.00",
            "2.50",
            "22.50",
        )
        download = await client.get(
            f"{ADMIN}/credit-notes/{note['id']}/download?format={document_format}",
            headers=tokens.admin(),
        )
        assert download.status_code == 200, download.text
        assert validate_xml(download.content, syntax) == []
