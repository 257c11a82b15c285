"""Exact money: ISO 4217 currencies, minor units and half-up rounding.

Every amount in the service is a ``Decimal``; floats never touch money. Amounts are rounded
half-up to the minor unit of their currency (EUR 2, KES 2, RWF 0, JPY 0, KWD 3).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 active codes (list one, 2026). Exponents other than 2 are listed in _EXPONENTS.
CURRENCIES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD
    JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF
    XPF YER ZAR ZMW ZWG
    """.split()
)

_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}

HUNDRED = Decimal(100)
ZERO = Decimal(0)

MAX_AMOUNT = Decimal("999999999999.99")
"""The largest amount the service books (a line, an invoice total, a payment): below 10^12
in any currency, so sums of many of them still fit the NUMERIC(20, 4) columns."""


class UnknownCurrencyError(ValueError):
    """Raised for a code that is not an active ISO 4217 currency."""


def normalize_currency(code: str) -> str:
    """Return the upper-case ISO 4217 code, or raise ``UnknownCurrencyError``."""
    upper = code.strip().upper()
    if upper not in CURRENCIES:
        raise UnknownCurrencyError(f"'{code}' is not an ISO 4217 currency code")
    return upper


def minor_unit(currency: str) -> int:
    """Number of decimals of the currency's minor unit (EUR 2, JPY 0, KWD 3)."""
    return _EXPONENTS.get(currency.upper(), 2)


def quantum(currency: str) -> Decimal:
    """The smallest amount of the currency as a Decimal exponent (``Decimal('0.01')``)."""
    return Decimal(1).scaleb(-minor_unit(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str) -> str:
    """``"17.50 EUR"``, ``"1750 JPY"``, ``"1.750 KWD"``: an amount as messages show it, in
    the currency's minor unit (never the storage scale, ``17.5000``)."""
    return f"{round_money(amount, currency)} {currency}"


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Integer minor units (cents) of an amount already rounded to the currency."""
    scaled = round_money(amount, currency).scaleb(minor_unit(currency))
    return int(scaled)


def from_minor_units(units: int, currency: str) -> Decimal:
    """The Decimal amount of an integer count of minor units."""
    return round_money(Decimal(units).scaleb(-minor_unit(currency)), currency)


def display_decimal(value: Decimal, *, min_places: int = 0) -> Decimal:
    """``value`` without trailing zeros, but with at least ``min_places`` decimals.

    Stored NUMERIC columns carry their column scale (``1.500000``); clients want ``1.5`` for a
    quantity and ``12.50`` for a price in a two-decimal currency.
    """
    normalized = value.normalize()
    if normalized == normalized.to_integral_value() and min_places == 0:
        return normalized.quantize(Decimal(1))
    exponent = int(normalized.as_tuple().exponent)
    if -exponent < min_places:
        return normalized.quantize(Decimal(1).scaleb(-min_places))
    return normalized
