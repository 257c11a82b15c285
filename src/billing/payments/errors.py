"""Errors of the payments domain: the ledger, checkout, charges, saved methods, providers."""

from __future__ import annotations

from billing.core.errors import (
    BadRequest,
    BillingError,
    Conflict,
    NotFound,
    NotImplementedYet,
    Unprocessable,
    UpstreamError,
)
from billing.providers.base import ProviderError, ProviderUnavailableError


class AmountExceedsBalance(BadRequest):
    """A payment larger than what is due."""

    code = "amount_exceeds_balance"


class InvalidPaymentAmount(BadRequest):
    """Zero, negative, or finer than the currency's minor unit."""

    code = "invalid_payment_amount"


class InvoiceNotPayable(Conflict):
    """Drafts and cancelled invoices take no payments."""

    code = "invoice_not_payable"


class InvoiceAlreadyPaid(BadRequest):
    """Nothing is due any more."""

    code = "invoice_already_paid"
    message = "Invoice is already paid"


class PaymentMethodRequired(BadRequest):
    """The request names no payment method."""

    code = "payment_method_required"
    message = "Payment method is required"


class UnknownPaymentMethod(BadRequest):
    """Not one of the ledger's methods."""

    code = "unknown_payment_method"


class AmountGivenRequired(BadRequest):
    """Cash needs the amount handed over."""

    code = "amount_given_required"
    message = "amount_given is required for cash payments"


class AmountGivenTooLow(BadRequest):
    """Less cash than is due."""

    code = "amount_given_too_low"
    message = "Amount given is less than amount due"


class PaymentMethodNotSupported(NotImplementedYet):
    """A method this route cannot take yet."""

    code = "payment_method_not_supported"


class PaymentNotFound(NotFound):
    """No visible payment has this id."""

    code = "payment_not_found"
    message = "Payment not found."


class TransactionNotFound(NotFound):
    """No visible transaction has this reference."""

    code = "transaction_not_found"
    message = "Transaction not found."


class RefundExceedsRefundable(BadRequest):
    """More than what is left of the payment."""

    code = "refund_exceeds_refundable"


class NothingPaidToReturn(BadRequest):
    """A credit note cannot refund or move to the wallet money that was never paid."""

    code = "nothing_paid_to_return"


class RefundThroughProvider(Conflict):
    """Card and SEPA payments are refunded by the provider, through the payment's refund."""

    code = "refund_through_provider"


class InsufficientWalletBalance(BadRequest):
    """The wallet holds less than asked."""

    code = "insufficient_wallet_balance"


class NothingToConsolidate(Conflict):
    """Fewer than two open unpaid invoices in that currency: merging one would only cancel it
    and issue a copy under a new number."""

    code = "nothing_to_consolidate"


class CodNotFound(NotFound):
    """No cash-on-delivery payment has this id."""

    code = "cod_not_found"
    message = "Cash on delivery payment not found."


class CodStateConflict(Conflict):
    """The COD payment is not in a state that allows this."""

    code = "cod_invalid_state"


class CodAlreadyOpen(Conflict):
    """The invoice already has a cash-on-delivery payment under way."""

    code = "cod_already_open"


class CodLocked(Conflict):
    """Too many wrong codes."""

    code = "cod_locked"
    message = "Too many wrong verification codes; this delivery is locked."


class CodExpired(Conflict):
    """The verification code is past its lifetime."""

    code = "cod_expired"
    message = "The verification code has expired."


class InvalidVerificationCode(BadRequest):
    """The code does not match."""

    code = "invalid_verification_code"


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


class PayerContactRequired(Unprocessable):
    """The provider needs the payer's e-mail or phone and neither is known."""

    code = "payer_contact_required"
    message = "Pesapal needs the payer's email or phone_number; send one of them."


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


class NoDefaultPaymentMethod(BadRequest):
    """No method was named and the tenant has no default."""

    code = "no_default_payment_method"
    message = "The tenant has no default payment method; name one or save one first."


class PaymentInProgress(Conflict):
    """A charge of a saved method on this invoice is still open (a SEPA debit, say)."""

    code = "payment_in_progress"


class PaymentFailed(BillingError):
    """The provider declined the charge or asks the payer to authenticate.

    ``details[0]`` carries the failed attempt (``reference``, ``status``, ``failure_code``,
    ``failure_message``, ``decline_code``) and ``next_action``: the client secret (or URL) the
    frontend uses to bring the payer back on-session (``stripe.confirmPayment``) to
    authenticate or choose another method. The failed attempt is kept.
    """

    code = "payment_failed"
    status_code = 402
    message = "The payment failed."


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


class RefundInProgress(Conflict):
    """Another refund of the same payment is being processed at the provider right now."""

    code = "refund_in_progress"
    message = "Another refund of this payment is in progress; retry in a moment."


class CallbackNotFound(NotFound):
    """A delivery to a callback URL without its secret token (or from a refused network).

    Answered like any unknown path: nothing is stored, nothing reveals why.
    """

    code = "not_found"
    message = "Not found."
