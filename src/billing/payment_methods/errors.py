"""Errors of saved payment methods and the provider catalogue."""

from __future__ import annotations

from billing.checkout.errors import (
    CurrencyNotSupported,
    InvalidCheckoutAmount,
    ProviderFailed,
    ProviderTimeout,
)
from billing.core.errors import BadRequest, BillingError, Conflict, NotFound
from billing.providers.base import ProviderError, ProviderUnavailableError


class PaymentProviderNotFound(NotFound):
    """No provider plugin has this slug."""

    code = "payment_provider_not_found"
    message = "Payment provider not found."


class ProviderCannotSaveMethods(BadRequest):
    """The provider has no reusable methods (M-Pesa, Pesapal)."""

    code = "provider_cannot_save_methods"


class ProviderNotConfigured(BillingError):
    """The deployment has no credentials for the provider."""

    code = "payment_provider_not_configured"
    status_code = 503


class MethodTypeNotSupported(BadRequest):
    """The provider cannot save this kind of method."""

    code = "method_type_not_supported"


class PaymentMethodNotFound(NotFound):
    """No visible saved method has this id (another tenant's is not visible)."""

    code = "payment_method_not_found"
    message = "Payment method not found."


class SetupNotFound(NotFound):
    """The confirmation names no setup started by this tenant."""

    code = "payment_method_setup_not_found"
    message = "No payment method setup of yours matches this confirmation."


class SetupIncomplete(Conflict):
    """The payer has not finished the setup yet (or the mandate is still being created)."""

    code = "payment_method_setup_incomplete"


class SetupFailed(BadRequest):
    """The provider reports the setup failed; start a new one."""

    code = "payment_method_setup_failed"


class InvalidConfirmation(BadRequest):
    """The confirmation data names no setup."""

    code = "invalid_confirmation_data"


class PaymentMethodNotActive(Conflict):
    """Only active methods can be charged or made the default."""

    code = "payment_method_not_active"


class ReturnUrlRequired(BadRequest):
    """The provider sends the payer to its own page and needs a way back (Mollie)."""

    code = "return_url_required"
    message = "This provider redirects the payer; send a return_url."


def upstream_error(provider: str, exc: ProviderError, doing: str) -> BillingError:
    """The API error for a provider that failed or refused ``doing`` (message names the
    provider and its code, never credentials: plugin messages are already redacted)."""
    if isinstance(exc, ProviderUnavailableError):
        if exc.timeout:
            return ProviderTimeout(f"{provider} did not answer in time while {doing} ({exc.code}).")
        return ProviderFailed(f"{provider} is unavailable ({exc.code}).")
    if exc.code == "provider_not_configured":
        return ProviderNotConfigured(f"{provider} is not configured in this deployment.")
    if exc.code == "method_type_not_supported":
        return MethodTypeNotSupported(exc.message)
    if exc.code == "return_url_required":
        return ReturnUrlRequired()
    # Refused by the plugin before any request: the amount, not the provider, is at fault.
    if exc.code == "currency_not_supported":
        return CurrencyNotSupported(exc.message)
    if exc.code in ("amount_precision_not_supported", "amount_invalid"):
        return InvalidCheckoutAmount(f"{provider}: {exc.message}")
    return ProviderFailed(f"{provider} refused {doing}: {exc.code}: {exc.message}")
