"""Kenyan MSISDN normalisation and whole-shilling amounts for M-Pesa (providers.md 4.8, 4.11).

Daraja wants ``254`` followed by nine digits starting with ``7`` or ``1`` and an integer amount of
at least one shilling. Both are checked here, before any call, so that a typo surfaces as a clear
validation error instead of Daraja's generic ``400.002.02 Bad Request``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = [
    "MPESA_MAX_AMOUNT_KES",
    "InvalidAmountError",
    "InvalidPhoneNumberError",
    "is_valid_msisdn",
    "normalize_msisdn",
    "whole_kes",
]

# Per-transaction ceiling Safaricom applies to STK pushes (providers.md 4.3).
MPESA_MAX_AMOUNT_KES = 250_000

_MSISDN = re.compile(r"^254[71]\d{8}$")
# Separators people type in phone numbers; anything else (letters, '#') makes the input invalid.
_SEPARATORS = re.compile(r"[\s\-.()]")


class InvalidPhoneNumberError(ValueError):
    """The input is not a Kenyan mobile number M-Pesa can prompt."""


class InvalidAmountError(ValueError):
    """The amount is not a whole number of Kenyan shillings within M-Pesa's limits."""


def is_valid_msisdn(msisdn: str) -> bool:
    """True for an already-normalised ``2547XXXXXXXX`` / ``2541XXXXXXXX`` number."""
    return _MSISDN.fullmatch(msisdn) is not None


def normalize_msisdn(raw: str) -> str:
    """Return the Daraja form ``2547XXXXXXXX`` / ``2541XXXXXXXX`` of a Kenyan mobile number.

    Accepts ``07XXXXXXXX``, ``01XXXXXXXX``, ``7XXXXXXXX``, ``1XXXXXXXX``, ``2547XXXXXXXX``,
    ``2541XXXXXXXX``, the same with a leading ``+`` or ``00``, and any of them with spaces,
    dashes, dots or parentheses. Numbers of other operators are accepted (number portability
    makes the prefix meaningless); Daraja reports those itself.

    Raises:
        InvalidPhoneNumberError: anything else, with the reason in the message.
    """
    if not isinstance(raw, str):
        raise InvalidPhoneNumberError(f"phone number must be a string, got {type(raw).__name__}")
    compact = _SEPARATORS.sub("", raw.strip())
    international = compact.startswith(("+", "00"))
    if compact.startswith("+"):
        compact = compact[1:]
    elif compact.startswith("00"):
        compact = compact[2:]
    if not compact.isascii() or not compact.isdigit():
        raise InvalidPhoneNumberError(
            f"'{raw}' is not a phone number: "
            "only digits, spaces, dashes and a leading + are allowed"
        )
    # Local forms only make sense without an international prefix: "+0712..." is a typo.
    if not international and len(compact) == 10 and compact.startswith("0"):
        compact = "254" + compact[1:]
    elif not international and len(compact) == 9 and compact[0] in "71":
        compact = "254" + compact
    if not _MSISDN.fullmatch(compact):
        raise InvalidPhoneNumberError(
            f"'{raw}' is not a Kenyan mobile number: expected 07XXXXXXXX, 01XXXXXXXX or "
            "+254 followed by 7 or 1 and eight more digits"
        )
    return compact


def whole_kes(amount: Decimal | int | str, *, maximum: int = MPESA_MAX_AMOUNT_KES) -> int:
    """Return ``amount`` as an integer number of shillings.

    M-Pesa has no cents: a fractional amount is refused rather than rounded, because rounding
    would charge a different amount than the invoice says (providers.md 4.11).

    Raises:
        InvalidAmountError: not a number, fractional, below 1 or above ``maximum``.
    """
    if isinstance(amount, bool) or isinstance(amount, float):
        # Floats cannot carry money exactly; bool is an int subclass and never an amount.
        kind = type(amount).__name__
        raise InvalidAmountError(f"amount must be a Decimal, int or str, got {kind}")
    try:
        value = Decimal(amount)
    except (InvalidOperation, ValueError):
        raise InvalidAmountError(f"'{amount}' is not a number") from None
    if not value.is_finite():
        raise InvalidAmountError(f"'{amount}' is not a finite amount")
    if value != value.to_integral_value():
        raise InvalidAmountError(f"M-Pesa charges whole shillings only, got KES {value}")
    if value < 1:
        raise InvalidAmountError(f"M-Pesa amounts start at KES 1, got KES {value}")
    if value > maximum:
        raise InvalidAmountError(f"M-Pesa accepts at most KES {maximum} per payment, got {value}")
    return int(value)
