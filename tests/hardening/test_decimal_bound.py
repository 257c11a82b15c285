"""The digit bound of every decimal field: the shortcut that skips ``normalize()`` for numbers
within the bound as written decides exactly as the full count."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.core.schemas import MAX_DECIMAL_DIGITS, _decimal_input, _digit_count, _too_many_digits


@settings(max_examples=500, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_the_shortcut_decides_as_the_full_count(number: Decimal) -> None:
    assert _too_many_digits(number) == (_digit_count(number) > MAX_DECIMAL_DIGITS)


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("9" * MAX_DECIMAL_DIGITS, False),
        ("9" * (MAX_DECIMAL_DIGITS + 1), True),
        ("9" * MAX_DECIMAL_DIGITS + ".0000", False),  # trailing zeros are not digits it needs
        ("0." + "0" * MAX_DECIMAL_DIGITS + "1", True),
        ("16.0000", False),
    ],
)
def test_the_bound_counts_the_digits_a_number_needs(text: str, refused: bool) -> None:
    if refused:
        with pytest.raises(ValueError, match="at most"):
            _decimal_input(text)
    else:
        assert _decimal_input(text) == Decimal(text)
