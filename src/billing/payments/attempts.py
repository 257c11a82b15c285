"""What every provider attempt checks before it starts: the provider can take the invoice's
currency and is configured, and the amount asked for fits the balance."""

from __future__ import annotations

from decimal import Decimal

from billing.core.money import format_money, minor_unit, round_money
from billing.models.invoice import Invoice
from billing.payments.errors import (
    AmountExceedsBalance,
    CurrencyNotSupported,
    InvalidCheckoutAmount,
    ProviderNotConfigured,
)
from billing.providers.base import PaymentProvider, ProviderKey
from billing.providers.registry import ProviderFactory


def online_provider(providers: ProviderFactory, key: ProviderKey, currency: str) -> PaymentProvider:
    """The provider's plugin, if it charges in ``currency`` and the deployment configured it."""
    provider = providers.build(key)
    if not provider.supports_currency(currency):
        raise CurrencyNotSupported(f"{provider.display_name} does not charge in {currency}.")
    if not providers.configured(key):
        raise ProviderNotConfigured(f"{provider.display_name} is not configured.")
    return provider


def attempt_amount(invoice: Invoice, due: Decimal, requested: Decimal | None) -> Decimal:
    """The amount to ask the provider for: ``requested`` or the whole balance ``due``, on the
    currency's minor unit and not above the balance."""
    amount = due if requested is None else requested
    if round_money(amount, invoice.currency) != amount:
        raise InvalidCheckoutAmount(
            f"The amount has more decimals than {invoice.currency} allows "
            f"({minor_unit(invoice.currency)})."
        )
    if amount > due:
        raise AmountExceedsBalance(
            f"Amount {format_money(amount, invoice.currency)} exceeds the balance "
            f"{format_money(due, invoice.currency)}."
        )
    return round_money(amount, invoice.currency)
