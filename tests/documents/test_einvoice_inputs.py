"""What the API accepts reaches every e-invoice in the form the rule sets read it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from lxml import etree

from billing.renderers.validation import Syntax, validate_xml
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

from .conftest import ADMIN_INVOICES, CII_NS, UBL_NS, issue


def download(invoice_id: str, document_format: str) -> str:
    return f"{ADMIN_INVOICES}/{invoice_id}/download?format={document_format}"


async def xml_of(client: httpx.AsyncClient, tokens: Tokens, invoice: Any, fmt: str) -> bytes:
    response = await client.get(download(invoice["id"], fmt), headers=tokens.admin())
    assert response.status_code == 200, response.text
    return response.content


class TestCustomerVatId:
    async def test_is_normalised_like_the_billing_profile(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        # Defect: "de..." passed the service's own check and failed BR-CO-09 in every format.
        invoice = await issue(factory, buyer["id"], customer={"vat_id": "de 987.654-321"})
        assert invoice["customer"]["vat_id"] == "DE987654321"
        for fmt in ("ubl", "xrechnung"):
            root = etree.fromstring(await xml_of(client, tokens, invoice, fmt))
            company = root.findtext(
                "cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID",
                namespaces=UBL_NS,
            )
            assert company == "DE987654321"
        cii = etree.fromstring(await xml_of(client, tokens, invoice, "cii"))
        registration = cii.find(
            ".//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID", namespaces=CII_NS
        )
        assert registration is not None
        assert registration.text == "DE987654321"

    @pytest.mark.parametrize("vat_id", ["987654321", "D", "DE 1"])
    async def test_invalid_is_a_422_envelope(
        self, client: httpx.AsyncClient, tokens: Tokens, buyer: Any, vat_id: str
    ) -> None:
        response = await client.post(
            ADMIN_INVOICES,
            json={
                "tenant_id": buyer["id"],
                "customer": {"vat_id": vat_id},
                "items": [{"name": "Service", "quantity": "1", "unit_price": "10"}],
            },
            headers=tokens.admin(),
        )
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert "BR-CO-09" in response.text


class TestPaymentTerms:
    async def test_skonto_terms_keep_their_line_break_and_render_as_xrechnung(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        # Defect: every cash discount invoice was refused with BR-DE-18.
        terms = "#SKONTO#TAGE=14#PROZENT=2.00#\nNet 30 days without deduction.\n"
        invoice = await issue(factory, buyer["id"], payment_terms=f"  {terms}  ")
        assert invoice["payment_terms"] == terms
        root = etree.fromstring(await xml_of(client, tokens, invoice, "xrechnung"))
        assert root.findtext("cac:PaymentTerms/cbc:Note", namespaces=UBL_NS) == terms


class TestRatePrecision:
    async def test_four_decimal_rate_end_to_end(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(
            factory,
            buyer["id"],
            discount_amount="0",
            items=[
                {"name": "Metered", "quantity": "1", "unit_price": "1000", "tax_rate": "19.005"}
            ],
        )
        # 1000.00 x 19.005 % = 190.05 (at 19.01 % it would have been 190.10).
        assert invoice["tax_amount"] == "190.05"
        assert [row["rate"] for row in invoice["tax_breakdown"]] == ["19.005"]
        for fmt, syntax in (("xrechnung", Syntax.UBL), ("cii", Syntax.CII)):
            content = await xml_of(client, tokens, invoice, fmt)
            assert b">19.005<" in content
            assert validate_xml(content, syntax) == []

    async def test_five_decimal_rate_is_refused(
        self, client: httpx.AsyncClient, tokens: Tokens, buyer: Any
    ) -> None:
        response = await client.post(
            ADMIN_INVOICES,
            json={
                "tenant_id": buyer["id"],
                "items": [
                    {"name": "A", "quantity": "1", "unit_price": "1", "tax_rate": "19.00501"}
                ],
            },
            headers=tokens.admin(),
        )
        assert response.status_code == 422, response.text


class TestDelivery:
    async def test_cii_and_facturx_carry_no_empty_element(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        # Defect: an empty ApplicableHeaderTradeDelivery (PEPPOL-EN16931-R008).
        invoice = await issue(factory, buyer["id"], issue_date="2026-03-02")
        root = etree.fromstring(await xml_of(client, tokens, invoice, "cii"))
        assert root.xpath("//*[not(*) and not(normalize-space())]") == []
        occurrence = root.find(
            ".//ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent",
            namespaces=CII_NS,
        )
        assert occurrence is not None
        assert "".join(occurrence.itertext()) == "20260302"
