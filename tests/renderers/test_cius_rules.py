"""XRechnung (BR-DE-*) and Peppol (PEPPOL-EN16931-R*) rules checked with XPath on the output.

These rule sets are not shipped on PyPI, so each rule of einvoice.md section 4 is asserted
directly on the XML the renderers write.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from billing.renderers import DocumentFormat, render
from billing.renderers.ubl import PEPPOL_CUSTOMIZATION_ID, PEPPOL_PROFILE_ID
from billing.renderers.xrechnung import XRECHNUNG_CUSTOMIZATION_ID

from .conftest import RenderFn
from .factories import MATRIX, complete_document, direct_debit, line

NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
CASES = sorted(MATRIX)
UBL_FORMATS = (DocumentFormat.UBL, DocumentFormat.XRECHNUNG)


def tree(content: bytes) -> etree._Element:
    return etree.fromstring(content)


def xpath(root: etree._Element, path: str) -> list[etree._Element]:
    result = root.xpath(path, namespaces=NS)
    assert isinstance(result, list)
    return [item for item in result if isinstance(item, etree._Element)]


def text(root: etree._Element, path: str) -> str:
    value = root.xpath(f"string({path})", namespaces=NS)
    assert isinstance(value, str)
    return value


class TestXRechnung:
    @pytest.mark.parametrize("case", CASES)
    def test_mandatory_german_elements(self, case: str, rendered: RenderFn) -> None:
        root = tree(rendered(case, DocumentFormat.XRECHNUNG).content)
        # BR-DE-21: specification identifier.
        assert text(root, "/*/cbc:CustomizationID") == XRECHNUNG_CUSTOMIZATION_ID
        # PEPPOL-EN16931-R001 (merged by KoSIT): business process.
        assert text(root, "/*/cbc:ProfileID") == PEPPOL_PROFILE_ID
        # BR-DE-1: payment instructions.
        assert xpath(root, "/*/cac:PaymentMeans/cbc:PaymentMeansCode")
        # BR-DE-15: buyer reference (Leitweg-ID).
        assert text(root, "/*/cbc:BuyerReference").strip()
        # BR-DE-2, BR-DE-5/6/7: seller contact with name, telephone and e-mail.
        contact = "/*/cac:AccountingSupplierParty/cac:Party/cac:Contact"
        for element in ("Name", "Telephone", "ElectronicMail"):
            assert text(root, f"{contact}/cbc:{element}").strip(), element
        # BR-DE-3/4 and BR-DE-8/9: cities and post codes of seller and buyer.
        for party in ("AccountingSupplierParty", "AccountingCustomerParty"):
            address = f"/*/cac:{party}/cac:Party/cac:PostalAddress"
            assert text(root, f"{address}/cbc:CityName").strip()
            assert text(root, f"{address}/cbc:PostalZone").strip()
        # BR-DE-14: every VAT breakdown carries its rate, category O included.
        subtotals = xpath(root, "/*/cac:TaxTotal/cac:TaxSubtotal")
        assert subtotals
        for subtotal in subtotals:
            assert xpath(subtotal, "cac:TaxCategory/cbc:Percent")
        # BR-DE-16: seller VAT id or tax number with taxed categories.
        categories = {e.text for e in xpath(root, "//cac:ClassifiedTaxCategory/cbc:ID")}
        if categories & {"S", "Z", "E", "AE", "K", "G"}:
            assert xpath(
                root, "/*/cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID"
            )
        # BR-DE-23: credit transfer means BG-17 and neither BG-18 nor BG-19.
        for means in xpath(
            root, "/*/cac:PaymentMeans[cbc:PaymentMeansCode = '30' or cbc:PaymentMeansCode = '58']"
        ):
            assert xpath(means, "cac:PayeeFinancialAccount/cbc:ID")
            assert not xpath(means, "cac:CardAccount | cac:PaymentMandate")
        # PEPPOL-EN16931-R010 / R020 (merged): both endpoints with a scheme.
        for party in ("AccountingSupplierParty", "AccountingCustomerParty"):
            assert xpath(root, f"/*/cac:{party}/cac:Party/cbc:EndpointID[@schemeID]")

    def test_notes_are_kept_apart(self, rendered: RenderFn) -> None:
        root = tree(rendered("single_rate", DocumentFormat.XRECHNUNG).content)
        assert [n.text for n in xpath(root, "/*/cbc:Note")] == [
            "Thank you for your business.",
            "Prices in EUR.",
        ]

    def test_direct_debit(self) -> None:
        root = tree(render(direct_debit(), DocumentFormat.XRECHNUNG).content)
        means = xpath(root, "/*/cac:PaymentMeans")[0]
        # BR-DE-25: direct debit means BG-19 and neither BG-17 nor BG-18.
        assert text(means, "cbc:PaymentMeansCode") == "59"
        assert text(means, "cac:PaymentMandate/cbc:ID") == "MANDATE-0001"
        assert not xpath(means, "cac:PayeeFinancialAccount | cac:CardAccount")
        # BR-DE-31: debited account.
        assert text(means, "cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID")
        # BR-DE-30: bank assigned creditor identifier as a SEPA seller identification.
        assert (
            text(
                root,
                "/*/cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID[@schemeID='SEPA']",
            )
            == "DE98ZZZ09999999999"
        )


class TestPeppol:
    @pytest.mark.parametrize("case", CASES)
    @pytest.mark.parametrize("document_format", UBL_FORMATS)
    def test_peppol_rules(
        self, case: str, document_format: DocumentFormat, rendered: RenderFn
    ) -> None:
        root = tree(rendered(case, document_format).content)
        currency = text(root, "/*/cbc:DocumentCurrencyCode")
        # R001: business process.
        assert text(root, "/*/cbc:ProfileID") == PEPPOL_PROFILE_ID
        # R008: no empty elements.
        assert xpath(root, "//*[not(*) and not(normalize-space())]") == []
        # R010 / R020: buyer and seller electronic addresses with a scheme.
        for party in ("AccountingSupplierParty", "AccountingCustomerParty"):
            endpoint = xpath(root, f"/*/cac:{party}/cac:Party/cbc:EndpointID")
            assert len(endpoint) == 1
            assert endpoint[0].get("schemeID")
        # R051: every currencyID is the document currency.
        assert {e.get("currencyID") for e in xpath(root, "//*[@currencyID]")} == {currency}
        # R053: exactly one tax total with subtotals.
        assert len(xpath(root, "/*/cac:TaxTotal[cac:TaxSubtotal]")) == 1
        # R061: a mandate for direct debits.
        for means in xpath(
            root, "/*/cac:PaymentMeans[cbc:PaymentMeansCode = '49' or cbc:PaymentMeansCode = '59']"
        ):
            assert text(means, "cac:PaymentMandate/cbc:ID")
        # R120: line net = quantity x price / base quantity (0.02 tolerance).
        for item in xpath(root, "/*/cac:InvoiceLine | /*/cac:CreditNoteLine"):
            quantity = Decimal(text(item, "cbc:InvoicedQuantity | cbc:CreditedQuantity"))
            price = Decimal(text(item, "cac:Price/cbc:PriceAmount"))
            net = Decimal(text(item, "cbc:LineExtensionAmount"))
            assert abs(quantity * price - net) <= Decimal("0.02")
        # BR-CO-10: the sum of the written line nets is BT-106.
        nets = [
            Decimal(e.text or "0") for e in xpath(root, "/*/*[cac:Item]/cbc:LineExtensionAmount")
        ]
        assert sum(nets) == Decimal(text(root, "/*/cac:LegalMonetaryTotal/cbc:LineExtensionAmount"))

    @pytest.mark.parametrize("case", CASES)
    def test_peppol_identifiers_and_single_note(self, case: str, rendered: RenderFn) -> None:
        root = tree(rendered(case, DocumentFormat.UBL).content)
        # R004: the exact specification identifier.
        assert text(root, "/*/cbc:CustomizationID") == PEPPOL_CUSTOMIZATION_ID
        # R003: buyer reference or order reference.
        assert text(root, "/*/cbc:BuyerReference") or text(root, "/*/cac:OrderReference/cbc:ID")
        # R002: at most one note.
        assert len(xpath(root, "/*/cbc:Note")) <= 1

    def test_credit_note_document(self, rendered: RenderFn) -> None:
        root = tree(rendered("credit_note_381", DocumentFormat.UBL).content)
        assert etree.QName(root).localname == "CreditNote"
        assert text(root, "/cn:CreditNote/cbc:CreditNoteTypeCode") == "381"
        assert (
            text(root, "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")
            == "INV-2026-00042"
        )
        # A CreditNote has no header DueDate: BT-9 sits in the payment means.
        assert not xpath(root, "/*/cbc:DueDate")
        assert text(root, "/*/cac:PaymentMeans/cbc:PaymentDueDate") == "2026-05-15"

    def test_element_order_of_the_header(self, rendered: RenderFn) -> None:
        root = tree(rendered("mixed_rates_discount_charge", DocumentFormat.UBL).content)
        names = [etree.QName(child).localname for child in root]
        expected = [
            "CustomizationID",
            "ProfileID",
            "ID",
            "IssueDate",
            "DueDate",
            "InvoiceTypeCode",
            "Note",
            "DocumentCurrencyCode",
            "BuyerReference",
            "OrderReference",
            "AccountingSupplierParty",
            "AccountingCustomerParty",
            "Delivery",
            "PaymentMeans",
            "PaymentTerms",
            "AllowanceCharge",
            "TaxTotal",
            "LegalMonetaryTotal",
            "InvoiceLine",
        ]
        assert [name for index, name in enumerate(names) if name not in names[:index]] == expected

    def test_outside_scope_has_no_vat_identifiers_nor_line_rates(self, rendered: RenderFn) -> None:
        root = tree(rendered("outside_scope_O", DocumentFormat.UBL).content)
        # BR-O-02: no seller or buyer VAT identifier; BR-O-05: no line rate.
        assert not xpath(root, "//cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']")
        assert not xpath(root, "//cac:ClassifiedTaxCategory/cbc:Percent")


class TestCii:
    @pytest.mark.parametrize("case", CASES)
    def test_currency_only_on_tax_total(self, case: str, rendered: RenderFn) -> None:
        root = tree(rendered(case, DocumentFormat.CII).content)
        carrying = xpath(root, "//*[@currencyID]")
        # CII-DT-031: BT-110 carries currencyID, every other amount does not.
        assert [etree.QName(e).localname for e in carrying] == ["TaxTotalAmount"]
        assert text(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == (
            "urn:cen.eu:en16931:2017"
        )

    @pytest.mark.parametrize("case", CASES)
    def test_no_empty_elements(self, case: str, rendered: RenderFn) -> None:
        # PEPPOL-EN16931-R008: with a delivery date (the service always gives one) even the
        # mandatory ApplicableHeaderTradeDelivery has content.
        root = tree(rendered(case, DocumentFormat.CII).content)
        assert xpath(root, "//*[not(*) and not(normalize-space())]") == []

    def test_unit_price_keeps_its_decimals(self) -> None:
        document = complete_document([line("Metered", "1234.567", "0.0125", 19)])
        root = tree(render(document, DocumentFormat.CII).content)
        assert text(root, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == "0.0125"
        assert text(root, "//ram:BilledQuantity") == "1234.567"
        assert (
            text(root, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount")
            == "15.43"
        )
