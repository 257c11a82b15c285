"""Kenyan MSISDN normalisation and whole-shilling amounts for M-Pesa."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.providers.phone import (
    InvalidAmountError,
    InvalidPhoneNumberError,
    is_valid_msisdn,
    normalize_msisdn,
    whole_kes,
)

DARAJA_MSISDN = re.compile(r"^254[71]\d{8}$")


class TestNormalizeMsisdn:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("0712345678", "254712345678"),
            ("0112345678", "254112345678"),
            ("+254712345678", "254712345678"),
            ("254712345678", "254712345678"),
            ("254112345678", "254112345678"),
            ("+254112345678", "254112345678"),
            ("0712 345 678", "254712345678"),
            ("0712-345-678", "254712345678"),
            ("+254 712-345-678", "254712345678"),
            (" 254 (712) 345.678 ", "254712345678"),
            ("00254712345678", "254712345678"),
            ("712345678", "254712345678"),
            ("112345678", "254112345678"),
        ],
    )
    def test_accepted_forms(self, raw: str, expected: str) -> None:
        assert normalize_msisdn(raw) == expected

    @pytest.mark.parametrize(
        "raw",
        [
            "",
            "   ",
            "0812345678",  # Kenyan landline-style prefix, not mobile
            "071234567",  # one digit short
            "07123456789",  # one digit long
            "+255712345678",  # Tanzania
            "254812345678",
            "2547123456789",
            "+0712345678",
            "07l2345678",  # letter l
            "0712345678#",
            "٠٧١٢٣٤٥٦٧٨",  # Arabic-Indic digits
            "++254712345678",
        ],
    )
    def test_rejected_forms(self, raw: str) -> None:
        with pytest.raises(InvalidPhoneNumberError, match=r"phone number|mobile number"):
            normalize_msisdn(raw)

    def test_error_is_a_value_error(self) -> None:
        assert issubclass(InvalidPhoneNumberError, ValueError)

    @given(prefix=st.sampled_from("71"), rest=st.text("0123456789", min_size=8, max_size=8))
    def test_every_spelling_of_a_number_normalises_alike(self, prefix: str, rest: str) -> None:
        expected = f"254{prefix}{rest}"
        spaced = f"0{prefix}{rest[:2]} {rest[2:5]}-{rest[5:]}"
        for spelling in (f"0{prefix}{rest}", f"+{expected}", expected, f"{prefix}{rest}", spaced):
            assert normalize_msisdn(spelling) == expected

    @given(st.text(max_size=20))
    def test_any_text_normalises_to_daraja_form_or_raises(self, raw: str) -> None:
        try:
            result = normalize_msisdn(raw)
        except InvalidPhoneNumberError:
            return
        assert DARAJA_MSISDN.fullmatch(result)
        assert is_valid_msisdn(result)
        assert normalize_msisdn(result) == result  # idempotent


class TestWholeKes:
    @pytest.mark.parametrize(
        ("amount", "expected"),
        [(1, 1), ("10", 10), (Decimal("1500.00"), 1500), (Decimal("250000"), 250_000)],
    )
    def test_whole_amounts(self, amount: Decimal | int | str, expected: int) -> None:
        assert whole_kes(amount) == expected

    @pytest.mark.parametrize(
        "amount",
        [
            Decimal("10.50"),
            Decimal("0.99"),
            Decimal(0),
            Decimal(-5),
            "abc",
            "NaN",
            "Infinity",
            Decimal(250_001),
            10.0,
            True,
        ],
    )
    def test_refused_amounts(self, amount: object) -> None:
        with pytest.raises(InvalidAmountError):
            whole_kes(amount)  # type: ignore[arg-type]

    @given(st.integers(min_value=1, max_value=250_000))
    def test_integers_round_trip(self, amount: int) -> None:
        assert whole_kes(Decimal(amount).quantize(Decimal("0.01"))) == amount
