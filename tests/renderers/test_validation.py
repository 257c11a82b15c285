"""The validator itself: it must catch what receivers reject (negative tests)."""

from __future__ import annotations

import pytest

from billing.renderers import DocumentFormat, render
from billing.renderers.validation import Syntax, validate_xml, validate_xsd

from .conftest import RenderFn, ValidateFn


def test_tampered_total_fails_the_schematron(rendered: RenderFn, schematron: ValidateFn) -> None:
    xml = rendered("single_rate", DocumentFormat.UBL).content
    tampered = xml.replace(
        b'<cbc:PayableAmount currencyID="EUR">119.00</cbc:PayableAmount>',
        b'<cbc:PayableAmount currencyID="EUR">118.00</cbc:PayableAmount>',
    )
    assert tampered != xml
    rules = {issue.rule for issue in schematron(tampered, Syntax.UBL)}
    assert "BR-CO-16" in rules


def test_cii_tax_total_without_currency_fails(rendered: RenderFn, schematron: ValidateFn) -> None:
    xml = rendered("single_rate", DocumentFormat.CII).content
    tampered = xml.replace(b' currencyID="EUR"', b"")
    issues = schematron(tampered, Syntax.CII)
    assert issues, "BT-110 without currencyID must be rejected (CII-DT-031 / BR-CO-15)"


def test_wrong_element_order_fails_the_xsd(rendered: RenderFn) -> None:
    xml = rendered("single_rate", DocumentFormat.UBL).content
    start = xml.index(b"<cbc:DocumentCurrencyCode>")
    end = xml.index(b"</cbc:DocumentCurrencyCode>") + len(b"</cbc:DocumentCurrencyCode>")
    element = xml[start:end]
    moved = xml[:start] + xml[end:]
    moved = moved.replace(b"<cbc:IssueDate>", element + b"<cbc:IssueDate>", 1)
    issues = validate_xsd(moved, Syntax.UBL)
    assert issues
    assert all(issue.source == "xsd" and issue.is_error for issue in issues)
    assert issues[0].location.startswith("line ")


def test_issue_shape(rendered: RenderFn, schematron: ValidateFn) -> None:
    xml = rendered("single_rate", DocumentFormat.UBL).content
    tampered = xml.replace(b"<cbc:InvoiceTypeCode>380", b"<cbc:InvoiceTypeCode>999")
    (issue, *_) = schematron(tampered, Syntax.UBL)
    assert issue.rule.startswith("BR-")
    assert issue.message
    assert issue.location.startswith("/")
    assert issue.severity == "error"
    assert issue.source == "schematron"
    assert issue.rule in str(issue)


def test_warnings_are_opt_in(rendered: RenderFn, schematron: ValidateFn) -> None:
    xml = rendered("single_rate", DocumentFormat.CII).content
    assert validate_xml(xml, "cii") == []
    warnings = validate_xml(xml, "cii", include_warnings=True)
    assert all(not issue.is_error for issue in warnings)


def test_not_xml_is_an_issue() -> None:
    (issue,) = validate_xsd(b"not xml", Syntax.UBL)
    assert issue.rule == "XSD"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ubl", Syntax.UBL),
        ("xrechnung", Syntax.UBL),
        (DocumentFormat.CII, Syntax.CII),
        ("facturx", Syntax.CII),
    ],
)
def test_syntax_of_formats(value: str, expected: Syntax) -> None:
    assert Syntax.of(value) is expected


def test_pdf_has_no_syntax() -> None:
    with pytest.raises(ValueError, match="not an XML"):
        Syntax.of("pdf")


def test_render_then_validate_credit_note(schematron: ValidateFn) -> None:
    from .factories import credit_note

    content = render(credit_note(), DocumentFormat.XRECHNUNG).content
    assert b"<CreditNote" in content
    assert schematron(content, Syntax.UBL) == []
