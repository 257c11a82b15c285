"""The semantic model and its builder: one totals engine, always consistent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from billing.core.totals import VatCategory
from billing.renderers import (
    DocumentError,
    DocumentStatus,
    InvoiceDocument,
    InvoiceTypeCode,
    LineInput,
)

from .factories import complete_document, line, mixed_rates_with_discount_and_charge, yen


class TestBuildDocument:
    def test_totals_come_from_the_engine(self) -> None:
        document = mixed_rates_with_discount_and_charge()
        totals = document.totals
        assert [item.net_amount for item in document.lines] == [
            Decimal("299.98"),
            Decimal("37.47"),
            Decimal("637.50"),
            Decimal("3.33"),
        ]
        assert totals.line_total == sum(item.net_amount for item in document.lines)
        assert totals.allowance_total == Decimal("25.00")
        assert totals.charge_total == Decimal("9.90")
        assert totals.tax_exclusive == totals.line_total - Decimal("25.00") + Decimal("9.90")
        assert totals.tax_total == sum(group.tax_amount for group in document.vat_breakdown)
        assert totals.tax_inclusive == totals.tax_exclusive + totals.tax_total
        assert totals.payable == totals.tax_inclusive
        # The discount and the charge are split over both VAT groups, exactly.
        assert sum(a.amount for a in document.allowances) == Decimal("25.00")
        assert {a.vat_rate for a in document.allowances} == {Decimal("19.00"), Decimal("7.00")}
        assert sum(c.amount for c in document.charges) == Decimal("9.90")
        assert all(c.reason == "Shipping" and c.reason_code == "FC" for c in document.charges)

    def test_vat_is_computed_per_group_not_per_line(self) -> None:
        document = complete_document(
            [line("A", 1, "0.05", 19), line("B", 1, "0.05", 19), line("C", 1, "0.05", 19)]
        )
        # Per line VAT would be 3 x 0.01 = 0.03; per group it is 0.15 x 19 % = 0.03 (0.0285).
        (group,) = document.vat_breakdown
        assert group.taxable_amount == Decimal("0.15")
        assert group.tax_amount == Decimal("0.03")

    def test_zero_decimal_currency(self) -> None:
        document = yen()
        assert document.totals.line_total == Decimal(14300)
        assert document.totals.tax_total == Decimal(1380)
        assert document.totals.payable.as_tuple().exponent == 0

    def test_exemption_reason_comes_from_lines(self) -> None:
        document = complete_document(
            [
                line("A", 1, "10", 0, VatCategory.EXEMPT, exemption_reason="Education"),
                line("B", 1, "10", 0, VatCategory.EXEMPT, exemption_reason_code="VATEX-EU-132-1I"),
                line("C", 1, "10", 19, exemption_reason="ignored on S"),
            ]
        )
        exempt, standard = sorted(document.vat_breakdown, key=lambda g: g.vat_category != "E")
        assert exempt.exemption_reason == "Education"
        assert exempt.exemption_reason_code == "VATEX-EU-132-1I"
        assert standard.exemption_reason is None
        assert standard.exemption_reason_code is None

    def test_conflicting_exemption_codes_are_refused(self) -> None:
        with pytest.raises(DocumentError, match="different exemption reason codes"):
            complete_document(
                [
                    line("A", 1, "10", 0, VatCategory.EXEMPT, exemption_reason_code="VATEX-EU-132"),
                    line("B", 1, "10", 0, VatCategory.EXEMPT, exemption_reason_code="VATEX-EU-143"),
                ]
            )

    def test_presentation_amounts(self) -> None:
        document = complete_document(amount_paid="50.00", status="finalized")
        assert document.status is DocumentStatus.ISSUED
        assert document.amount_paid == Decimal("50.00")
        assert document.balance == Decimal("119.00") - Decimal("50.00")
        assert complete_document(status="draft").is_draft
        assert complete_document(status="void").status is DocumentStatus.CANCELLED

    def test_prepaid_reduces_the_amount_due(self) -> None:
        document = complete_document(prepaid="19.00")
        assert document.totals.prepaid == Decimal("19.00")
        assert document.totals.payable == Decimal("100.00")
        assert document.balance == Decimal("100.00")

    def test_line_ids_default_to_positions(self) -> None:
        document = complete_document([line("A"), line("B"), line("C", id="custom")])
        assert [item.id for item in document.lines] == ["1", "2", "custom"]

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"lines": []}, "at least one line"),
            ({"currency": "XYZ"}, "ISO 4217"),
            ({"discount": "1000.00"}, "exceeds"),
            ({"lines": [line("A", id="1"), line("B", id="1")]}, "unique"),
        ],
    )
    def test_invalid_inputs_raise_document_error(
        self, overrides: dict[str, Any], message: str
    ) -> None:
        with pytest.raises(DocumentError, match=message):
            complete_document(**overrides)

    def test_floats_are_refused(self) -> None:
        with pytest.raises(ValidationError, match="never a float"):
            LineInput(name="x", quantity=1, unit_price=0.1)
        with pytest.raises(DocumentError, match="never a float"):
            complete_document(discount=0.5)

    def test_blank_strings_become_none(self) -> None:
        document = complete_document(buyer_reference="  ", purchase_order_reference="")
        assert document.buyer_reference is None
        assert document.purchase_order_reference is None


class TestInvoiceDocument:
    def test_is_frozen(self) -> None:
        document = complete_document()
        with pytest.raises(ValidationError):
            document.number = "other"  # type: ignore[misc]

    def test_json_round_trip(self) -> None:
        document = mixed_rates_with_discount_and_charge()
        restored = InvoiceDocument.model_validate_json(document.model_dump_json())
        assert restored == document

    def test_inconsistent_totals_are_rejected(self) -> None:
        data = complete_document().model_dump()
        data["totals"]["tax_total"] = "20.00"
        with pytest.raises(ValidationError, match="BG-22"):
            InvoiceDocument.model_validate(data)

    def test_inconsistent_line_net_is_rejected(self) -> None:
        data = complete_document().model_dump()
        data["lines"][0]["net_amount"] = "99.99"
        with pytest.raises(ValidationError, match="net amount"):
            InvoiceDocument.model_validate(data)

    def test_inconsistent_breakdown_is_rejected(self) -> None:
        data = complete_document().model_dump()
        data["vat_breakdown"][0]["vat_rate"] = "7.00"
        with pytest.raises(ValidationError, match="BG-23"):
            InvoiceDocument.model_validate(data)

    def test_type_codes(self) -> None:
        assert complete_document(type_code="381").type_code is InvoiceTypeCode.CREDIT_NOTE
        with pytest.raises(DocumentError):
            complete_document(type_code="999")
