"""Errors of checkout and provider payments."""

from __future__ import annotations

from billing.core.errors import BillingError, NotFound, Unprocessable, UpstreamError


class AttemptNotFound(NotFound):
    """No payment attempt has this provider reference."""

    code = "payment_attempt_not_found"
    message = "Payment attempt not found."


class InvalidPhoneNumber(Unprocessable):
    """Not a Kenyan mobile number M-Pesa accepts."""

    code = "invalid_phone_number"


class InvalidCheckoutAmount(Unprocessable):
    """Not a payable amount for this provider (fractions of KES for M-Pesa, say)."""

    code = "invalid_amount"


class CurrencyNotSupported(BillingError):
    """The provider cannot charge in the invoice's currency."""

    code = "currency_not_supported"
    status_code = 400


class ProviderFailed(UpstreamError):
    """The provider refused or failed; the message names it and its code, never secrets."""

    code = "provider_error"


class ProviderTimeout(BillingError):
    """The provider did not answer in time; the attempt is recorded as failed."""

    code = "provider_timeout"
    status_code = 504
