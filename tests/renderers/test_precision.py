"""Rates, prices and payment terms are written with the precision the rules compare them at."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from billing.core.totals import VatCategory
from billing.renderers import DocumentError, DocumentFormat, InvoiceDocument, render
from billing.renderers.completeness import einvoice_warnings, missing_einvoice_fields
from billing.renderers.prices import LinePrice, line_price
from billing.renderers.rules import Severity, is_enforced, severity
from billing.renderers.validation import Syntax

from .conftest import ValidateFn
from .factories import complete_document, line
from .pdf_tools import page_texts
from .test_cius_rules import text, xpath
from .test_completeness import CASES

XML_FORMATS = (DocumentFormat.UBL, DocumentFormat.XRECHNUNG, DocumentFormat.CII)


def syntax_of(document_format: DocumentFormat) -> Syntax:
    return Syntax.CII if document_format is DocumentFormat.CII else Syntax.UBL


class TestRatePrecision:
    def test_breakdown_keeps_the_rate_and_computes_with_it(self) -> None:
        document = complete_document([line("Metered", 1, "1000.00", "19.005")])
        (group,) = document.vat_breakdown
        # Defect: the engine grouped at 19.01 and computed 190.10 while lines said 19.005.
        assert group.vat_rate == Decimal("19.005")
        assert group.tax_amount == Decimal("190.05")

    @pytest.mark.parametrize("document_format", XML_FORMATS)
    def test_line_and_breakdown_rates_are_written_equal(
        self, document_format: DocumentFormat, schematron: ValidateFn
    ) -> None:
        document = complete_document([line("Metered", 1, "1000.00", "19.005")])
        content = render(document, document_format).content
        root = etree.fromstring(content)
        if document_format is DocumentFormat.CII:
            rates = {e.text for e in xpath(root, "//ram:RateApplicablePercent")}
        else:
            rates = {e.text for e in xpath(root, "//cac:ClassifiedTaxCategory/cbc:Percent")}
            rates |= {e.text for e in xpath(root, "//cac:TaxSubtotal/cac:TaxCategory/cbc:Percent")}
        assert rates == {"19.005"}
        # BR-S-08 / BR-S-09 / BR-CO-17 hold in the official EN 16931 schematron.
        assert schematron(content, syntax_of(document_format)) == []

    def test_more_than_four_decimals_is_refused(self) -> None:
        with pytest.raises(DocumentError, match="at most 4 decimals"):
            complete_document([line("Metered", 1, "10.00", "19.00001")])

    def test_equal_rates_of_different_scale_are_one_group(self) -> None:
        document = complete_document([line("A", 1, "10.00", "19"), line("B", 1, "5.00", "19.0000")])
        assert [(g.vat_rate, g.taxable_amount) for g in document.vat_breakdown] == [
            (Decimal("19.00"), Decimal("15.00"))
        ]


class TestZeroDecimalCurrency:
    def yen(self) -> InvoiceDocument:
        return complete_document(
            [
                line("Half", "1.5", "333", 10),
                line("API calls", 3, "0.5", 10),
                line("Plan", 1, "980", 10),
            ],
            currency="JPY",
        )

    def test_line_price_states_the_charged_price(self) -> None:
        document = self.yen()
        prices = [line_price(item) for item in document.lines]
        # 1.5 x 333 = 499.5 -> 500 yen; 3 x 0.5 = 1.5 -> 2 yen; 980 stays the agreed price.
        assert prices == [
            LinePrice(Decimal("500"), Decimal("1.5")),
            LinePrice(Decimal("2"), Decimal("3")),
            LinePrice(Decimal("980")),
        ]

    @pytest.mark.parametrize("document_format", XML_FORMATS)
    def test_fractional_yen_prices_render_valid(
        self, document_format: DocumentFormat, schematron: ValidateFn
    ) -> None:
        # Defect: refused for UBL and XRechnung with PEPPOL-EN16931-R120.
        document = self.yen()
        assert missing_einvoice_fields(document, document_format) == []
        content = render(document, document_format).content
        assert schematron(content, syntax_of(document_format)) == []
        if document_format is not DocumentFormat.CII:
            root = etree.fromstring(content)
            for item in xpath(root, "/*/cac:InvoiceLine"):
                quantity = Decimal(text(item, "cbc:InvoicedQuantity"))
                price = Decimal(text(item, "cac:Price/cbc:PriceAmount"))
                base = Decimal(text(item, "cac:Price/cbc:BaseQuantity") or "1")
                net = Decimal(text(item, "cbc:LineExtensionAmount"))
                # PEPPOL-EN16931-R120 with its 0.02 slack: here it even holds exactly.
                assert abs(quantity * price / base - net) <= Decimal("0.02")

    def test_pdf_prints_the_agreed_price(self) -> None:
        text_of_pdf = page_texts(render(self.yen(), DocumentFormat.PDF).content)[0]
        assert "0.5" in text_of_pdf


class TestSeverities:
    def test_r120_is_fatal_in_peppol_and_a_warning_in_xrechnung(self) -> None:
        rule = "PEPPOL-EN16931-R120"
        assert severity(rule, DocumentFormat.UBL) is Severity.FATAL
        assert severity(rule, DocumentFormat.XRECHNUNG) is Severity.WARNING

    def test_every_reported_rule_has_a_documented_severity(self) -> None:
        # Documents that trip many rules at once; each rule they report must be in rules.py.
        for _, factory, formats, (_, _, rule) in CASES:
            assert is_enforced(rule), rule
            for document_format in formats:
                for item in missing_einvoice_fields(factory(), document_format):
                    assert is_enforced(item.rule), item.rule
                    assert severity(item.rule, document_format) is Severity.FATAL

    def test_undocumented_rule_is_an_error(self) -> None:
        with pytest.raises(KeyError):
            severity("BR-XX-99", DocumentFormat.UBL)

    def test_warnings_never_refuse(self) -> None:
        assert einvoice_warnings(complete_document(), DocumentFormat.XRECHNUNG) == []


class TestSkonto:
    TERMS = "#SKONTO#TAGE=14#PROZENT=2.00#\nNet 30 days."

    def test_line_break_after_skonto_survives_the_model(self) -> None:
        document = complete_document(payment_terms="#SKONTO#TAGE=14#PROZENT=2.00#\n")
        # Defect: whitespace stripping removed the line break BR-DE-18 requires.
        assert document.payment_terms == "#SKONTO#TAGE=14#PROZENT=2.00#\n"

    @pytest.mark.parametrize(
        "terms",
        [
            "#SKONTO#TAGE=14#PROZENT=2.00#\n",
            "#SKONTO#TAGE=7#PROZENT=3.00#\n#SKONTO#TAGE=14#PROZENT=2.00#BASISBETRAG=100.00#\n",
            TERMS,
            "Net 30 days.\r\n#SKONTO#TAGE=14#PROZENT=2.00#\r\n",
        ],
    )
    def test_xrechnung_with_skonto_renders(self, terms: str) -> None:
        document = complete_document(payment_terms=terms)
        content = render(document, DocumentFormat.XRECHNUNG).content
        note = text(etree.fromstring(content), "/*/cac:PaymentTerms/cbc:Note")
        assert note == terms.replace("\r\n", "\n")
        assert "#\n" in note


def test_exempt_lines_of_a_four_decimal_rate_group_keep_their_reason() -> None:
    document = complete_document(
        [
            line(
                "Exempt",
                1,
                "10.00",
                0,
                VatCategory.EXEMPT,
                exemption_reason_code="VATEX-EU-132-1I",
                exemption_reason="Education",
            )
        ]
    )
    (group,) = document.vat_breakdown
    assert group.exemption_reason_code == "VATEX-EU-132-1I"
