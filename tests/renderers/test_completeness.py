"""Missing e-invoice data is named field by field, and renderers raise instead of emitting."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from billing.core.totals import VatCategory
from billing.renderers import (
    RENDERERS,
    Contact,
    Delivery,
    DocumentFormat,
    EInvoiceIncompleteError,
    ElectronicAddress,
    InvoiceDocument,
    PaymentInstructions,
    PostalAddress,
    missing_einvoice_fields,
)

from .factories import buyer, complete_document, line, seller, sepa

XML_FORMATS = (DocumentFormat.UBL, DocumentFormat.XRECHNUNG, DocumentFormat.CII)
EINVOICE_FORMATS = (*XML_FORMATS, DocumentFormat.ZUGFERD)


def problems(
    document: InvoiceDocument, document_format: DocumentFormat
) -> set[tuple[str, str, str]]:
    return {(m.field, m.term, m.rule) for m in missing_einvoice_fields(document, document_format)}


def exempt_line(category: VatCategory, **extra: Any) -> Any:
    return line("Service", 1, "100.00", 0, category, **extra)


# (case id, document factory, formats, expected (field, term, rule))
CASES: list[tuple[str, Any, tuple[DocumentFormat, ...], tuple[str, str, str]]] = [
    (
        "seller_vat_id_standard",
        lambda: complete_document(seller=seller(vat_id=None, tax_registration_id=None)),
        EINVOICE_FORMATS,
        ("seller.vat_id", "BT-31", "BR-S-02"),
    ),
    (
        "seller_identification",
        lambda: complete_document(
            seller=seller(vat_id=None, tax_registration_id=None, legal_registration_id=None)
        ),
        EINVOICE_FORMATS,
        ("seller.vat_id", "BT-31", "BR-CO-26"),
    ),
    (
        "seller_vat_or_tax_number_xrechnung",
        lambda: complete_document(seller=seller(vat_id=None, tax_registration_id=None)),
        (DocumentFormat.XRECHNUNG,),
        ("seller.vat_id", "BT-31", "BR-DE-16"),
    ),
    (
        "seller_name",
        lambda: complete_document(seller=seller(name=None)),
        EINVOICE_FORMATS,
        ("seller.name", "BT-27", "BR-06"),
    ),
    (
        "buyer_name",
        lambda: complete_document(buyer=buyer(name="")),
        EINVOICE_FORMATS,
        ("buyer.name", "BT-44", "BR-07"),
    ),
    (
        "seller_country",
        lambda: complete_document(seller=seller(address=PostalAddress(city="Berlin"))),
        EINVOICE_FORMATS,
        ("seller.address.country_code", "BT-40", "BR-09"),
    ),
    (
        "buyer_country",
        lambda: complete_document(buyer=buyer(address=PostalAddress(city="Paris"))),
        EINVOICE_FORMATS,
        ("buyer.address.country_code", "BT-55", "BR-11"),
    ),
    (
        "buyer_country_unknown",
        lambda: complete_document(buyer=buyer(address=PostalAddress(country_code="XX"))),
        EINVOICE_FORMATS,
        ("buyer.address.country_code", "BT-55", "BR-CL-14"),
    ),
    (
        "vat_id_prefix",
        lambda: complete_document(seller=seller(vat_id="123456789")),
        EINVOICE_FORMATS,
        ("seller.vat_id", "BT-31", "BR-CO-09"),
    ),
    (
        "leitweg_id",
        lambda: complete_document(buyer_reference=None),
        (DocumentFormat.XRECHNUNG,),
        ("buyer_reference", "BT-10", "BR-DE-15"),
    ),
    (
        "peppol_buyer_or_order_reference",
        lambda: complete_document(buyer_reference=None, purchase_order_reference=None),
        (DocumentFormat.UBL,),
        ("buyer_reference", "BT-10", "PEPPOL-EN16931-R003"),
    ),
    (
        "seller_contact",
        lambda: complete_document(seller=seller(contact=None)),
        (DocumentFormat.XRECHNUNG,),
        ("seller.contact", "BG-6", "BR-DE-2"),
    ),
    (
        "seller_contact_name",
        lambda: complete_document(seller=seller(contact=Contact(phone="+49 1", email="a@b.de"))),
        (DocumentFormat.XRECHNUNG,),
        ("seller.contact.name", "BT-41", "BR-DE-5"),
    ),
    (
        "seller_contact_phone",
        lambda: complete_document(seller=seller(contact=Contact(name="A", email="a@b.de"))),
        (DocumentFormat.XRECHNUNG,),
        ("seller.contact.phone", "BT-42", "BR-DE-6"),
    ),
    (
        "seller_contact_email",
        lambda: complete_document(seller=seller(contact=Contact(name="A", phone="+49 1"))),
        (DocumentFormat.XRECHNUNG,),
        ("seller.contact.email", "BT-43", "BR-DE-7"),
    ),
    (
        "seller_city",
        lambda: complete_document(
            seller=seller(address=PostalAddress(postal_code="10115", country_code="DE"))
        ),
        (DocumentFormat.XRECHNUNG,),
        ("seller.address.city", "BT-37", "BR-DE-3"),
    ),
    (
        "buyer_post_code",
        lambda: complete_document(
            buyer=buyer(address=PostalAddress(city="Paris", country_code="FR"))
        ),
        (DocumentFormat.XRECHNUNG,),
        ("buyer.address.postal_code", "BT-53", "BR-DE-9"),
    ),
    (
        "payment_instructions",
        lambda: complete_document(payment=None),
        (DocumentFormat.XRECHNUNG,),
        ("payment", "BG-16", "BR-DE-1"),
    ),
    (
        "seller_endpoint_peppol",
        # Without its own address and without a VAT id there is no endpoint in any network.
        lambda: complete_document(seller=seller(electronic_address=None, vat_id=None)),
        (DocumentFormat.UBL, DocumentFormat.XRECHNUNG),
        ("seller.electronic_address", "BT-34", "PEPPOL-EN16931-R020"),
    ),
    (
        "buyer_endpoint_peppol",
        lambda: complete_document(buyer=buyer(electronic_address=None, vat_id=None)),
        (DocumentFormat.UBL, DocumentFormat.XRECHNUNG),
        ("buyer.electronic_address", "BT-49", "PEPPOL-EN16931-R010"),
    ),
    (
        "buyer_email_endpoint_peppol",
        # EM is on the EN 16931 list but not on Peppol's, and no VAT id gives a VAT scheme.
        lambda: complete_document(buyer=buyer(vat_id=None)),
        (DocumentFormat.UBL,),
        ("buyer.electronic_address", "BT-49", "PEPPOL-EN16931-CL008"),
    ),
    (
        "seller_email_endpoint_peppol",
        lambda: complete_document(seller=seller(vat_id=None)),
        (DocumentFormat.UBL,),
        ("seller.electronic_address", "BT-34", "PEPPOL-EN16931-CL008"),
    ),
    (
        "endpoint_scheme",
        lambda: complete_document(
            buyer=buyer(electronic_address=ElectronicAddress(value="x@y.z", scheme="EMAIL"))
        ),
        EINVOICE_FORMATS,
        ("buyer.electronic_address.scheme", "BT-49-1", "BR-CL-25"),
    ),
    (
        "gln_check_digit",
        lambda: complete_document(
            buyer=buyer(electronic_address=ElectronicAddress(value="4000001000001", scheme="0088"))
        ),
        # A Peppol rule that KoSIT does not merge into XRechnung.
        (DocumentFormat.UBL,),
        ("buyer.electronic_address", "BT-49", "PEPPOL-COMMON-R040"),
    ),
    (
        "credit_transfer_account",
        lambda: complete_document(payment=sepa(iban=None)),
        EINVOICE_FORMATS,
        ("payment.iban", "BT-84", "BR-61"),
    ),
    (
        "credit_transfer_account_xrechnung",
        lambda: complete_document(payment=sepa(iban=None)),
        (DocumentFormat.XRECHNUNG,),
        ("payment.iban", "BT-84", "BR-DE-23-a"),
    ),
    (
        "direct_debit_mandate_peppol",
        lambda: complete_document(payment=PaymentInstructions(means_code="59")),
        (DocumentFormat.UBL, DocumentFormat.XRECHNUNG),
        ("payment.mandate_reference", "BT-89", "PEPPOL-EN16931-R061"),
    ),
    (
        "direct_debit_creditor_id",
        lambda: complete_document(
            payment=PaymentInstructions(
                means_code="59", mandate_reference="M1", debited_account="DE89370400440532013000"
            )
        ),
        (DocumentFormat.XRECHNUNG,),
        ("payment.creditor_reference", "BT-90", "BR-DE-30"),
    ),
    (
        "card_number_masked",
        lambda: complete_document(
            payment=PaymentInstructions(means_code="48", card_number="4111111111111111")
        ),
        EINVOICE_FORMATS,
        ("payment.card_number", "BT-87", "BR-51"),
    ),
    (
        "card_number_xrechnung",
        lambda: complete_document(payment=PaymentInstructions(means_code="48")),
        (DocumentFormat.XRECHNUNG,),
        ("payment.card_number", "BT-87", "BR-DE-24-a"),
    ),
    (
        "exemption_reason_E",
        lambda: complete_document([line(), exempt_line(VatCategory.EXEMPT)]),
        EINVOICE_FORMATS,
        ("items[1].exemption_reason", "BT-120", "BR-E-10"),
    ),
    (
        "exemption_reason_AE",
        lambda: complete_document([exempt_line(VatCategory.REVERSE_CHARGE)]),
        EINVOICE_FORMATS,
        ("items[0].exemption_reason", "BT-120", "BR-AE-10"),
    ),
    (
        "exemption_reason_K",
        lambda: complete_document(
            [exempt_line(VatCategory.INTRA_COMMUNITY)],
            delivery=Delivery(date=dt.date(2026, 4, 1), address=PostalAddress(country_code="FR")),
        ),
        EINVOICE_FORMATS,
        ("items[0].exemption_reason", "BT-120", "BR-IC-10"),
    ),
    (
        "exemption_reason_G",
        lambda: complete_document([exempt_line(VatCategory.EXPORT)]),
        EINVOICE_FORMATS,
        ("items[0].exemption_reason", "BT-120", "BR-G-10"),
    ),
    (
        "exemption_reason_O",
        lambda: complete_document([exempt_line(VatCategory.OUTSIDE_SCOPE)]),
        EINVOICE_FORMATS,
        ("items[0].exemption_reason", "BT-120", "BR-O-10"),
    ),
    (
        "exemption_code_list",
        lambda: complete_document(
            [exempt_line(VatCategory.REVERSE_CHARGE, exemption_reason_code="VATEX-XX")]
        ),
        EINVOICE_FORMATS,
        ("items[0].exemption_reason_code", "BT-121", "BR-CL-22"),
    ),
    (
        "reverse_charge_buyer_vat_id",
        lambda: complete_document(
            [exempt_line(VatCategory.REVERSE_CHARGE, exemption_reason="Reverse charge")],
            buyer=buyer(vat_id=None),
        ),
        EINVOICE_FORMATS,
        ("buyer.vat_id", "BT-48", "BR-AE-02"),
    ),
    (
        "intra_community_buyer_vat_id",
        lambda: complete_document(
            [exempt_line(VatCategory.INTRA_COMMUNITY, exemption_reason="Intra-Community supply")],
            buyer=buyer(vat_id=None),
            delivery=Delivery(date=dt.date(2026, 4, 1), address=PostalAddress(country_code="FR")),
        ),
        EINVOICE_FORMATS,
        ("buyer.vat_id", "BT-48", "BR-IC-02"),
    ),
    (
        "intra_community_delivery_date",
        lambda: complete_document(
            [exempt_line(VatCategory.INTRA_COMMUNITY, exemption_reason="Intra-Community supply")],
            delivery=None,
        ),
        EINVOICE_FORMATS,
        ("delivery.date", "BT-72", "BR-IC-11"),
    ),
    (
        "intra_community_deliver_to_country",
        lambda: complete_document(
            [exempt_line(VatCategory.INTRA_COMMUNITY, exemption_reason="Intra-Community supply")]
        ),
        EINVOICE_FORMATS,
        ("delivery.address.country_code", "BT-80", "BR-IC-12"),
    ),
    (
        "intra_community_seller_vat_id",
        lambda: complete_document(
            [exempt_line(VatCategory.INTRA_COMMUNITY, exemption_reason="Intra-Community supply")],
            seller=seller(vat_id=None),
            delivery=Delivery(date=dt.date(2026, 4, 1), address=PostalAddress(country_code="FR")),
        ),
        EINVOICE_FORMATS,
        ("seller.vat_id", "BT-31", "BR-IC-02"),
    ),
    (
        "export_seller_vat_id",
        lambda: complete_document(
            [exempt_line(VatCategory.EXPORT, exemption_reason="Export outside the EU")],
            seller=seller(vat_id=None),
        ),
        EINVOICE_FORMATS,
        ("seller.vat_id", "BT-31", "BR-G-02"),
    ),
    (
        "outside_scope_not_mixed",
        lambda: complete_document(
            [line(), exempt_line(VatCategory.OUTSIDE_SCOPE, exemption_reason="Not subject to VAT")]
        ),
        EINVOICE_FORMATS,
        ("items[0].tax_category", "BT-151", "BR-O-11"),
    ),
    (
        "outside_scope_needs_legal_registration",
        lambda: complete_document(
            [exempt_line(VatCategory.OUTSIDE_SCOPE, exemption_reason="Not subject to VAT")],
            seller=seller(legal_registration_id=None),
        ),
        EINVOICE_FORMATS,
        ("seller.legal_registration_id", "BT-30", "BR-CO-26"),
    ),
    (
        "standard_rate_above_zero",
        lambda: complete_document([line(rate=0)]),
        EINVOICE_FORMATS,
        ("items[0].tax_rate", "BT-152", "BR-S-05"),
    ),
    (
        "zero_rated_rate",
        lambda: complete_document([line(rate=5, category=VatCategory.ZERO_RATED)]),
        EINVOICE_FORMATS,
        ("items[0].tax_rate", "BT-152", "BR-Z-05"),
    ),
    (
        "item_name",
        lambda: complete_document([line(name="")]),
        EINVOICE_FORMATS,
        ("items[0].name", "BT-153", "BR-25"),
    ),
    (
        "unit_code",
        lambda: complete_document([line(unit_code="PIECE")]),
        EINVOICE_FORMATS,
        ("items[0].unit_code", "BT-130", "BR-CL-23"),
    ),
    (
        "negative_price",
        lambda: complete_document([line(), line("Refund", 1, "-10.00")]),
        EINVOICE_FORMATS,
        ("items[1].unit_price", "BT-146", "BR-27"),
    ),
    (
        "due_date_or_terms",
        lambda: complete_document(due_date=None, payment_terms=None),
        EINVOICE_FORMATS,
        ("due_date", "BT-9", "BR-CO-25"),
    ),
    (
        "three_decimal_currency",
        lambda: complete_document(currency="KWD"),
        EINVOICE_FORMATS,
        ("currency", "BT-5", "BR-DEC-*"),
    ),
    (
        "peppol_german_national_rules",
        lambda: complete_document(
            buyer=buyer(
                vat_id="DE987654321",
                address=PostalAddress(city="München", postal_code="80331", country_code="DE"),
            ),
            seller=seller(contact=None),
        ),
        (DocumentFormat.UBL,),
        ("seller.contact", "BG-6", "DE-R-002"),
    ),
    (
        "buyer_vat_id_lower_case_prefix",
        # The CEN schematron reads the prefix case-sensitively: "fr..." fails BR-CO-09.
        lambda: complete_document(buyer=buyer(vat_id="fr40303265045")),
        EINVOICE_FORMATS,
        ("buyer.vat_id", "BT-48", "BR-CO-09"),
    ),
    (
        "seller_vat_id_lower_case_prefix",
        lambda: complete_document(seller=seller(vat_id="de123456789")),
        EINVOICE_FORMATS,
        ("seller.vat_id", "BT-31", "BR-CO-09"),
    ),
    (
        "skonto_without_line_break",
        lambda: complete_document(payment_terms="#SKONTO#TAGE=14#PROZENT=2.00#"),
        (DocumentFormat.XRECHNUNG,),
        ("payment_terms", "BT-20", "BR-DE-18"),
    ),
    (
        "skonto_malformed",
        lambda: complete_document(payment_terms="#SKONTO#TAGE=14#PROZENT=2#\n"),
        (DocumentFormat.XRECHNUNG,),
        ("payment_terms", "BT-20", "BR-DE-18"),
    ),
    (
        "corrected_invoice_outside_germany_peppol",
        lambda: complete_document(type_code="384"),
        (DocumentFormat.UBL,),
        ("type_code", "BT-3", "PEPPOL-EN16931-P0112"),
    ),
    (
        "ubl_credit_note_due_date",
        lambda: complete_document(type_code="381", payment=None, payment_terms=None),
        (DocumentFormat.UBL, DocumentFormat.XRECHNUNG),
        ("payment_terms", "BT-20", "BR-CO-25"),
    ),
]


@pytest.mark.parametrize(
    ("factory", "formats", "expected"),
    [
        pytest.param(factory, formats, expected, id=case)
        for case, factory, formats, expected in CASES
    ],
)
def test_missing_field_is_reported_and_render_refused(
    factory: Any, formats: tuple[DocumentFormat, ...], expected: tuple[str, str, str]
) -> None:
    document = factory()
    for document_format in formats:
        assert expected in problems(document, document_format), document_format
        with pytest.raises(EInvoiceIncompleteError) as raised:
            RENDERERS[document_format].render(document)
        assert expected in {(m.field, m.term, m.rule) for m in raised.value.missing}
        assert raised.value.code == "einvoice_incomplete"
    # The plain PDF never refuses.
    assert missing_einvoice_fields(document, DocumentFormat.PDF) == []
    assert RENDERERS[DocumentFormat.PDF].render(document).content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("factory", "document_format", "unexpected_rule"),
    [
        (lambda: complete_document(buyer_reference=None), DocumentFormat.CII, "BR-DE-15"),
        (lambda: complete_document(seller=seller(contact=None)), DocumentFormat.UBL, "BR-DE-2"),
        (
            lambda: complete_document(seller=seller(electronic_address=None)),
            DocumentFormat.CII,
            "PEPPOL-EN16931-R020",
        ),
        (lambda: complete_document(payment=None), DocumentFormat.UBL, "BR-DE-1"),
        (
            lambda: complete_document(buyer_reference=None),
            DocumentFormat.UBL,
            "PEPPOL-EN16931-R003",
        ),
    ],
)
def test_rules_apply_only_to_their_format(
    factory: Any, document_format: DocumentFormat, unexpected_rule: str
) -> None:
    rules = {m.rule for m in missing_einvoice_fields(factory(), document_format)}
    assert unexpected_rule not in rules


def test_complete_document_has_no_missing_fields() -> None:
    document = complete_document()
    for document_format in DocumentFormat:
        assert missing_einvoice_fields(document, document_format) == []


def test_missing_fields_serialize_for_the_error_envelope() -> None:
    document = complete_document(buyer_reference=None, seller=seller(contact=None))
    with pytest.raises(EInvoiceIncompleteError) as raised:
        RENDERERS[DocumentFormat.XRECHNUNG].render(document)
    details = [item.as_dict() for item in raised.value.missing]
    assert any(
        (d["field"], d["term"], d["rule"]) == ("buyer_reference", "BT-10", "BR-DE-15")
        for d in details
    )
    assert all(set(d) == {"field", "term", "rule", "message"} and d["message"] for d in details)
    assert "buyer_reference (BT-10)" in str(raised.value)
    # No duplicates even when two rules name the same field for the same reason.
    keys = [(d["field"], d["rule"]) for d in details]
    assert len(keys) == len(set(keys))
