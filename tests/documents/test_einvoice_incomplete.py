"""E-invoices that cannot be valid answer 422 ``einvoice_incomplete`` naming every field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

from .conftest import ADMIN_INVOICES, SELLER, create_buyer, issue


async def incomplete(
    client: httpx.AsyncClient, tokens: Tokens, invoice: Any, document_format: str
) -> list[dict[str, str]]:
    response = await client.get(
        f"{ADMIN_INVOICES}/{invoice['id']}/download?format={document_format}",
        headers=tokens.admin(),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "einvoice_incomplete"
    for detail in error["details"]:
        assert set(detail) == {"field", "term", "rule", "message"}
    return list(error["details"])


def fields(details: list[dict[str, str]]) -> set[str]:
    return {detail["field"] for detail in details}


class TestIncomplete:
    @pytest.mark.parametrize("document_format", ["ubl", "xrechnung", "cii", "zugferd"])
    async def test_seller_without_vat_id(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        document_format: str,
    ) -> None:
        await factory.put_settings(seller={"vat_id": None, "tax_number": None})
        invoice = await issue(factory, buyer["id"])
        details = await incomplete(client, tokens, invoice, document_format)
        vat = [d for d in details if d["field"] == "seller.vat_id"]
        assert vat
        assert {d["term"] for d in vat} == {"BT-31"}
        assert "BR-S-02" in {d["rule"] for d in vat}
        # The PDF needs none of it.
        pdf = await client.get(f"{ADMIN_INVOICES}/{invoice['id']}/pdf", headers=tokens.admin())
        assert pdf.status_code == 200

    async def test_xrechnung_without_buyer_reference(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await create_buyer(factory, tokens, buyer_reference=None)
        invoice = await issue(factory, tenant["id"])
        details = await incomplete(client, tokens, invoice, "xrechnung")
        assert [d for d in details if d["field"] == "buyer_reference"] == [
            {
                "field": "buyer_reference",
                "term": "BT-10",
                "rule": "BR-DE-15",
                "message": "the buyer reference is required (the Leitweg-ID for public buyers)",
            }
        ]
        # Peppol between two German parties applies the same national rule (DE-R-015).
        ubl = await incomplete(client, tokens, invoice, "ubl")
        assert ("buyer_reference", "DE-R-015") in {(d["field"], d["rule"]) for d in ubl}
        # CII (EN 16931 without a national CIUS) needs no buyer reference.
        cii = await client.get(
            f"{ADMIN_INVOICES}/{invoice['id']}/download?format=cii", headers=tokens.admin()
        )
        assert cii.status_code == 200, cii.text

    async def test_without_any_buyer_address(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await create_buyer(
            factory,
            tokens,
            email=None,
            billing_email=None,
            peppol_endpoint_id=None,
            peppol_scheme=None,
            vat_id=None,
        )
        invoice = await issue(factory, tenant["id"])
        for document_format in ("ubl", "xrechnung"):
            details = await incomplete(client, tokens, invoice, document_format)
            address = [d for d in details if d["field"] == "buyer.electronic_address"]
            assert [(d["term"], d["rule"]) for d in address] == [("BT-49", "PEPPOL-EN16931-R010")]

    async def test_buyer_without_peppol_id_is_reached_through_its_vat_id_in_peppol(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await create_buyer(factory, tokens, peppol_endpoint_id=None, peppol_scheme=None)
        invoice = await issue(factory, tenant["id"])
        ubl = await client.get(
            f"{ADMIN_INVOICES}/{invoice['id']}/download?format=ubl", headers=tokens.admin()
        )
        assert ubl.status_code == 200, ubl.text
        # EM is not on the Peppol EAS list (PEPPOL-EN16931-CL008): the German VAT scheme is.
        assert b'schemeID="EM"' not in ubl.content
        assert b'<cbc:EndpointID schemeID="9930">DE987654321<' in ubl.content
        # XRechnung takes the EN 16931 list, where the e-mail address is a valid endpoint.
        xrechnung = await client.get(
            f"{ADMIN_INVOICES}/{invoice['id']}/download?format=xrechnung", headers=tokens.admin()
        )
        assert xrechnung.status_code == 200, xrechnung.text
        assert b'schemeID="EM">ap@kunde.example<' in xrechnung.content

    async def test_buyer_with_only_an_email_address_is_refused_for_peppol(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await create_buyer(
            factory, tokens, peppol_endpoint_id=None, peppol_scheme=None, vat_id=None
        )
        invoice = await issue(factory, tenant["id"])
        details = await incomplete(client, tokens, invoice, "ubl")
        assert [(d["field"], d["term"], d["rule"]) for d in details] == [
            ("buyer.electronic_address", "BT-49", "PEPPOL-EN16931-CL008")
        ]
        assert "Peppol participant id" in details[0]["message"]

    async def test_seller_with_only_an_email_address_is_refused_for_peppol(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        await factory.put_settings(
            seller={"peppol_endpoint_id": None, "peppol_scheme": None, "vat_id": None}
        )
        invoice = await issue(factory, buyer["id"])
        details = await incomplete(client, tokens, invoice, "ubl")
        assert ("seller.electronic_address", "BT-34", "PEPPOL-EN16931-CL008") in {
            (d["field"], d["term"], d["rule"]) for d in details
        }

    async def test_xrechnung_lists_every_missing_seller_field(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        await factory.put_settings(
            seller={"contact_name": None, "phone": None, "iban": None, "postal_code": None}
        )
        invoice = await issue(factory, buyer["id"])
        details = await incomplete(client, tokens, invoice, "xrechnung")
        assert {
            "payment",
            "seller.contact.name",
            "seller.contact.phone",
            "seller.address.postal_code",
        } <= fields(details)
        assert {d["rule"] for d in details} >= {"BR-DE-1", "BR-DE-5", "BR-DE-6", "BR-DE-4"}

    async def test_exemption_code_that_is_no_vatex_code(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        # A reason is mandatory for category E (the API refuses a line without one, so the
        # missing-reason case cannot arise); an unknown code still reaches the e-invoice check.
        invoice = await issue(
            factory,
            buyer["id"],
            discount_amount="0",
            items=[
                {
                    "name": "Training",
                    "unit_price": "50",
                    "tax_category": "E",
                    "tax_exemption_reason_code": "VATEX-XX-999",
                }
            ],
        )
        details = await incomplete(client, tokens, invoice, "cii")
        assert [(d["field"], d["rule"]) for d in details] == [
            ("items[0].exemption_reason_code", "BR-CL-22")
        ]

    async def test_exempt_line_with_reason_is_valid(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(
            factory,
            buyer["id"],
            discount_amount="0",
            items=[
                {
                    "name": "Training",
                    "unit_price": "50",
                    "tax_category": "E",
                    "tax_exemption_reason_code": "VATEX-EU-132",
                    "tax_exemption_reason": "Exempt education service",
                }
            ],
        )
        for document_format in ("ubl", "cii"):
            response = await client.get(
                f"{ADMIN_INVOICES}/{invoice['id']}/download?format={document_format}",
                headers=tokens.admin(),
            )
            assert response.status_code == 200, response.text

    async def test_seller_snapshot_is_frozen_at_issue(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        await factory.put_settings(seller={"vat_id": None})
        response = await client.get(
            f"{ADMIN_INVOICES}/{invoice['id']}/download?format=ubl", headers=tokens.admin()
        )
        assert response.status_code == 200, response.text
        assert SELLER["vat_id"].encode() in response.content
