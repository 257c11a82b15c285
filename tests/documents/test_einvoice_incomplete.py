"""E-invoices that cannot be valid answer 422 ``einvoice_incomplete`` naming every field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

from .conftest import ADMIN_INVOICES, ITEMS, SELLER, create_buyer, issue


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
        assert set(detail) == {"field", "label", "term", "rule", "rules", "message"}
    fields = [detail["field"] for detail in error["details"]]
    assert len(fields) == len(set(fields)), "each field is listed once"
    return list(error["details"])


def fields(details: list[dict[str, str]]) -> set[str]:
    return {detail["field"] for detail in details}


class TestIncomplete:
    @pytest.mark.parametrize("preferred", [None, "ubl", "xrechnung", "cii", "zugferd"])
    async def test_issuing_is_refused_while_the_seller_lacks_its_vat_id(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        preferred: str | None,
    ) -> None:
        await factory.put_settings(seller={"vat_id": None, "tax_number": None})
        tenant = await create_buyer(factory, tokens, preferred_einvoice_format=preferred)
        draft = await factory.create_invoice(tenant["id"], items=ITEMS, due_date="2099-12-31")
        response = await client.post(
            f"{ADMIN_INVOICES}/{draft['id']}/issue", headers=tokens.admin()
        )
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "seller_incomplete"
        [vat] = [d for d in error["details"] if d["field"] == "seller.vat_id"]
        assert vat["label"] == "seller VAT identifier"
        assert vat["setting"] == "seller.vat_id"
        assert "BR-S-02" in vat["rules"]
        assert error["message"].count("seller VAT identifier") == 1
        assert "PUT /api/v1/admin/settings" in error["message"]
        # Nothing was issued and no number was taken.
        again = await client.get(f"{ADMIN_INVOICES}/{draft['id']}", headers=tokens.admin())
        assert again.json()["data"]["status"] == "draft"
        assert again.json()["data"]["invoice_number"] is None
        # Once the seller is complete, the same draft is issued.
        await factory.put_settings(seller={"vat_id": SELLER["vat_id"]})
        issued = await client.post(f"{ADMIN_INVOICES}/{draft['id']}/issue", headers=tokens.admin())
        assert issued.status_code == 200, issued.text

    async def test_the_preferred_format_adds_its_own_seller_fields(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        await factory.put_settings(
            seller={"contact_name": None, "phone": None, "iban": None, "postal_code": None}
        )
        plain = await create_buyer(factory, tokens)
        await issue(factory, plain["id"])  # the EN 16931 core needs none of these
        german = await create_buyer(factory, tokens, preferred_einvoice_format="xrechnung")
        response = await client.post(
            f"{ADMIN_INVOICES}",
            headers=tokens.admin(),
            json={"tenant_id": german["id"], "status": "issued", "items": ITEMS},
        )
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "seller_incomplete"
        settings = {d["setting"] for d in error["details"]}
        assert settings == {
            "seller.contact_name",
            "seller.phone",
            "seller.iban",
            "seller.postal_code",
        }
        assert all(d["formats"] == ["xrechnung"] for d in error["details"])
        assert "seller contact name" in error["message"]
        assert "contact point" not in error["message"]

    async def test_xrechnung_without_buyer_reference(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await create_buyer(factory, tokens, buyer_reference=None)
        invoice = await issue(factory, tenant["id"])
        details = await incomplete(client, tokens, invoice, "xrechnung")
        assert [d for d in details if d["field"] == "buyer_reference"] == [
            {
                "field": "buyer_reference",
                "label": "buyer reference",
                "term": "BT-10",
                "rule": "BR-DE-15",
                "rules": ["BR-DE-15"],
                "message": "the buyer reference is required (the Leitweg-ID for public buyers)",
            }
        ]
        # Peppol between two German parties applies the same national rule (DE-R-015).
        ubl = await incomplete(client, tokens, invoice, "ubl")
        [reference] = [d for d in ubl if d["field"] == "buyer_reference"]
        assert "DE-R-015" in reference["rules"]
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
        # A seller known by its tax number only (BT-32): EN 16931 is satisfied, but Peppol
        # routes on no scheme it could derive, and e-mail (EM) is not a Peppol scheme.
        await factory.put_settings(
            seller={
                "peppol_endpoint_id": None,
                "peppol_scheme": None,
                "vat_id": None,
                "tax_number": "12/345/67890",
            }
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
        labels = {d["field"]: d["label"] for d in details}
        assert labels["seller.contact.name"] == "seller contact name"
        assert labels["seller.address.postal_code"] == "seller post code"
        assert labels["payment"] == "payment instructions"
        by_field = {d["field"]: d["message"] for d in details}
        assert by_field["seller.contact.name"] == "the seller contact name is required"

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
