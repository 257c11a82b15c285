"""Stripe amounts: integers in Stripe's notion of each currency's minor unit.

Stripe's exponents differ from ISO 4217 in places (https://docs.stripe.com/currencies):

* zero-decimal: the amount is whole units (``RWF 5000`` is ``amount=5000``); MGA is zero-decimal
  at Stripe although ISO gives it two decimals, so a fractional ariary cannot be charged;
* three-decimal (BHD JOD KWD OMR TND): thousandths, and Stripe requires the last digit to be 0;
* ISK is zero-decimal in ISO but Stripe keeps a two-decimal representation for backwards
  compatibility, always with ``00`` decimals (5 ISK is ``amount=500``);
* HUF and TWD are two-decimal for charges but zero-decimal for payouts; we only charge whole
  units so that every amount we collect can also be paid out.

Money is never rounded here: an amount Stripe cannot represent exactly is refused before any
request is sent.
"""

from __future__ import annotations

from decimal import Decimal

from billing.core.money import CURRENCIES, quantum
from billing.providers.base import Amount, ProviderError, ProviderKey

ZERO_DECIMAL: frozenset[str] = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()
)
THREE_DECIMAL: frozenset[str] = frozenset("BHD JOD KWD OMR TND".split())
# Two-decimal at Stripe, but only whole units are accepted by us (see the module docstring).
WHOLE_UNITS_ONLY: frozenset[str] = frozenset("ISK HUF TWD".split())

# Stripe's presentment currencies for cards, restricted to active ISO 4217 codes.
SUPPORTED_CURRENCIES: frozenset[str] = (
    frozenset(
        """
        USD AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD
        BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CVE CZK DJF DKK DOP DZD EGP ETB EUR FJD FKP GBP
        GEL GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR ISK JMD JOD JPY KES KGS KHR KMF KRW
        KWD KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MUR MVR MWK MXN MYR MZN NAD
        NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SEK
        SGD SHP SLE SOS SRD SZL THB TJS TND TOP TRY TTD TWD TZS UAH UGX UYU UZS VND VUV WST XAF
        XCD XOF XPF YER ZAR ZMW
        """.split()
    )
    & CURRENCIES
)


def stripe_exponent(currency: str) -> int:
    """Decimals of Stripe's minor unit for ``currency`` (JPY 0, EUR 2, ISK 2, KWD 3)."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def ensure_supported(currency: str) -> str:
    """The upper-case code if Stripe charges in it; else ``currency_not_supported``."""
    code = currency.upper()
    if code not in SUPPORTED_CURRENCIES:
        raise ProviderError(
            ProviderKey.STRIPE, "currency_not_supported", f"Stripe cannot charge in {code}"
        )
    return code


def to_stripe_amount(amount: Amount) -> int:
    """The integer ``amount`` parameter for Stripe.

    Raises:
        ProviderError: ``currency_not_supported``, ``amount_invalid`` (negative or not finite) or
            ``amount_precision_not_supported`` (Stripe cannot represent the amount exactly).
    """
    code = ensure_supported(amount.currency)
    value = amount.value
    if not value.is_finite() or value < 0:
        raise ProviderError(ProviderKey.STRIPE, "amount_invalid", "amounts must be >= 0")
    scaled = value.scaleb(stripe_exponent(code))
    if scaled != scaled.to_integral_value():
        raise ProviderError(
            ProviderKey.STRIPE,
            "amount_precision_not_supported",
            f"Stripe charges {code} in units of 10^-{stripe_exponent(code)}; got {value}",
        )
    units = int(scaled)
    if code in THREE_DECIMAL and units % 10:
        raise ProviderError(
            ProviderKey.STRIPE,
            "amount_precision_not_supported",
            f"Stripe requires {code} amounts to end in 0 thousandths; got {value}",
        )
    if code in WHOLE_UNITS_ONLY and units % 100:
        raise ProviderError(
            ProviderKey.STRIPE,
            "amount_precision_not_supported",
            f"{code} is charged in whole units only; got {value}",
        )
    return units


def from_stripe_amount(units: int, currency: str) -> Amount:
    """The exact amount of a Stripe integer amount, in our upper-case currency code.

    The value carries the ISO exponent of the currency when that is exact (``JPY 5000``,
    ``EUR 10.00``, ``MGA 1234.00``), so it compares and prints like amounts made elsewhere.
    """
    code = currency.upper()
    value = Decimal(units).scaleb(-stripe_exponent(code))
    iso = value.quantize(quantum(code)) if code in CURRENCIES else value
    return Amount(iso if iso == value else value, code)
