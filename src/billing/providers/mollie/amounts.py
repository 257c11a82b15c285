"""Mollie amounts: ``{"currency": "EUR", "value": "10.00"}`` with exactly the currency's decimals.

Mollie rejects a value with more or fewer decimals than the currency has ("10.0" EUR, "1000.00"
JPY), so the string is produced from the exact Decimal and never from a float; an amount that is
not already exact at that precision is refused rather than rounded
(https://docs.mollie.com/reference/amount, multicurrency guide).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from billing.core.money import minor_unit
from billing.providers.base import Amount, ProviderError, ProviderKey

# Payment currencies Mollie accepts (multicurrency guide); EUR is the only one every method
# supports. Mollie uses the ISO 4217 exponent for all of them (ISK and JPY have none).
SUPPORTED_CURRENCIES: frozenset[str] = frozenset(
    """
    AED AUD BGN BRL CAD CHF CZK DKK EUR GBP HKD HUF ILS ISK JPY MXN MYR NOK NZD PHP PLN RON
    SEK SGD THB TWD USD ZAR
    """.split()
)

_VALUE = re.compile(r"-?\d+(\.\d+)?")


def ensure_supported(currency: str) -> str:
    """The upper-case code if Mollie charges in it; else ``currency_not_supported``."""
    code = currency.upper()
    if code not in SUPPORTED_CURRENCIES:
        raise ProviderError(
            ProviderKey.MOLLIE, "currency_not_supported", f"Mollie cannot charge in {code}"
        )
    return code


def format_value(value: Decimal, currency: str) -> str:
    """The exact decimal string Mollie expects for ``value`` in ``currency``.

    Raises:
        ProviderError: ``amount_invalid`` (negative, not finite) or
            ``amount_precision_not_supported`` (more decimals than the currency has).
    """
    if not value.is_finite() or value < 0:
        raise ProviderError(ProviderKey.MOLLIE, "amount_invalid", "amounts must be >= 0")
    exponent = minor_unit(currency)
    try:
        exact = value.quantize(Decimal(1).scaleb(-exponent))
    except InvalidOperation:
        raise ProviderError(ProviderKey.MOLLIE, "amount_invalid", "amount is too large") from None
    if exact != value:
        raise ProviderError(
            ProviderKey.MOLLIE,
            "amount_precision_not_supported",
            f"{currency} has {exponent} decimals; got {value}",
        )
    return f"{exact:f}"


def to_mollie_amount(amount: Amount) -> dict[str, str]:
    """The ``amount`` object for a request, after checking the currency."""
    code = ensure_supported(amount.currency)
    return {"currency": code, "value": format_value(amount.value, code)}


def from_mollie_amount(data: object) -> Amount:
    """Parse an ``amount`` object back, exactly (``"10.00"`` stays ``Decimal("10.00")``).

    Raises:
        ProviderError: ``invalid_response`` when the object is not a Mollie amount.
    """
    if not isinstance(data, Mapping):
        raise ProviderError(ProviderKey.MOLLIE, "invalid_response", "amount is not an object")
    currency = data.get("currency")
    value = data.get("value")
    if not isinstance(currency, str) or not isinstance(value, str) or not _VALUE.fullmatch(value):
        raise ProviderError(ProviderKey.MOLLIE, "invalid_response", "malformed amount")
    return Amount(Decimal(value), currency.upper())


def optional_amount(data: object) -> Amount | None:
    """Like :func:`from_mollie_amount`, but ``None`` when the field is absent or null."""
    return None if data is None else from_mollie_amount(data)
