"""The ORM -> document bridge, without the database: totals, parties, payment, presentation."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from billing.documents.responses import etag_matches
from billing.invoices.calculation import recalculate
from billing.invoices.document import build_invoice_document, presentation_of
from billing.models.invoice import Invoice, InvoiceLine
from billing.renderers import DocumentError, DocumentStatus
from billing.settings.schemas import OperatorSettings

from .conftest import SELLER

URL = "https://billing.example.com/api/v1/public/invoices/abc"


def make_invoice(*, status: str = "issued", currency: str = "EUR", **fields: Any) -> Invoice:
    invoice_id = uuid.uuid4()
    tenant_id = uuid.uuid4()
    invoice = Invoice(
        id=invoice_id,
        tenant_id=tenant_id,
        invoice_number=None if status == "draft" else "INV-2026-00042",
        public_id="abc",
        status=status,
        currency=currency,
        issue_date=date(2026, 5, 1),
        due_date=date(2026, 5, 15),
        discount_amount=Decimal("5.01"),
        amount_paid=Decimal(0),
        amount_refunded=Decimal(0),
        amount_credited=Decimal(0),
        buyer={"name": "Kunde AG", "country_code": "DE", "email": "ap@kunde.example"},
        seller=None if status == "draft" else dict(SELLER),
        customer={},
        buyer_reference="04011000-12345-34",
        purchase_order_reference=None,
        payment_terms=None,
        notes=None,
        **fields,
    )
    lines = [
        InvoiceLine(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            invoice_id=invoice_id,
            position=position,
            name=name,
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            unit_code="C62",
            tax_rate=Decimal(rate),
            tax_category="S",
            variant_info={"size": "L"} if position == 1 else None,
        )
        for position, (name, quantity, price, rate) in enumerate(
            [("A", "1.500000", "33.333000", "19.0000"), ("B", "3.000000", "7.770000", "7.0000")],
            1,
        )
    ]
    invoice.items = lines
    recalculate(invoice, lines)
    return invoice


@pytest.fixture
def operator_settings() -> OperatorSettings:
    return OperatorSettings.model_validate(
        {"seller": {**SELLER, "legal_name": "Current GmbH"}, "enable_mpesa": True}
    )


class TestBridge:
    def test_totals_equal_the_stored_totals(self, operator_settings: OperatorSettings) -> None:
        invoice = make_invoice()
        document = build_invoice_document(invoice, operator_settings, public_url=URL)
        totals = document.totals
        assert totals.line_total == invoice.subtotal == Decimal("73.31")
        assert totals.allowance_total == invoice.discount_amount
        assert totals.tax_total == invoice.tax_amount
        assert totals.tax_inclusive == invoice.total_amount == totals.payable
        assert totals.prepaid == 0
        assert [line.note for line in document.lines] == ["size: L", None]
        assert document.lines[0].quantity == Decimal("1.5")

    def test_stored_totals_that_drifted_are_refused(
        self, operator_settings: OperatorSettings
    ) -> None:
        invoice = make_invoice()
        invoice.tax_amount += Decimal("0.01")
        with pytest.raises(DocumentError, match="tax_amount"):
            build_invoice_document(invoice, operator_settings, public_url=URL)

    def test_issued_invoice_uses_its_frozen_seller(
        self, operator_settings: OperatorSettings
    ) -> None:
        document = build_invoice_document(make_invoice(), operator_settings, public_url=URL)
        assert document.seller.name == SELLER["legal_name"]
        assert document.seller.electronic_address is not None
        assert document.seller.electronic_address.scheme == "9930"
        assert document.buyer.electronic_address is not None
        assert document.buyer.electronic_address.value == "ap@kunde.example"
        assert document.buyer.electronic_address.scheme == "EM"

    def test_draft_uses_the_current_seller(self, operator_settings: OperatorSettings) -> None:
        document = build_invoice_document(
            make_invoice(status="draft"), operator_settings, public_url=URL
        )
        assert document.seller.name == "Current GmbH"
        assert document.is_draft
        assert document.number.startswith("DRAFT-")
        assert document.payment is not None
        assert document.payment.remittance_information is None

    def test_payment_instructions(self, operator_settings: OperatorSettings) -> None:
        euro = build_invoice_document(make_invoice(), operator_settings, public_url=URL).payment
        assert euro is not None
        assert (euro.means_code, euro.iban, euro.bic) == ("58", SELLER["iban"], SELLER["bic"])
        assert euro.remittance_information == "INV-2026-00042"
        shillings = build_invoice_document(
            make_invoice(currency="KES"), operator_settings, public_url=URL
        ).payment
        assert shillings is not None
        assert shillings.means_code == "30"
        no_bank = make_invoice()
        assert no_bank.seller is not None
        no_bank.seller = {**no_bank.seller, "iban": None}
        assert build_invoice_document(no_bank, operator_settings, public_url=URL).payment is None

    def test_presentation(self, operator_settings: OperatorSettings) -> None:
        invoice = make_invoice()
        document = build_invoice_document(invoice, operator_settings, public_url=URL)
        assert document.payment_methods == ("Cash", "M-Pesa", "Bank transfer")
        assert document.public_url == URL
        issued = presentation_of(invoice, operator_settings, public_url=URL)
        overdue = presentation_of(
            invoice, operator_settings, public_url=URL, today=date(2026, 6, 1)
        )
        assert overdue.status is DocumentStatus.OVERDUE
        assert issued.key() != overdue.key()
        assert issued.key() == presentation_of(invoice, operator_settings, public_url=URL).key()
        invoice.amount_paid = Decimal("10.00")
        assert presentation_of(invoice, operator_settings, public_url=URL).key() != issued.key()
        paid = build_invoice_document(invoice, operator_settings, public_url=URL)
        assert paid.amount_paid == Decimal("10.00")
        assert paid.balance == invoice.total_amount - Decimal("10.00")
        assert paid.totals.payable == invoice.total_amount


class TestEtag:
    @pytest.mark.parametrize(
        ("header", "matches"),
        [
            (None, False),
            ("", False),
            ('"abc"', True),
            ('W/"abc"', True),
            ('"x", "abc"', True),
            ("*", True),
            ('"abcd"', False),
            ("abc", False),
        ],
    )
    def test_if_none_match(self, header: str | None, matches: bool) -> None:
        assert etag_matches(header, '"abc"') is matches
