"""Errors of charging saved payment methods."""

from __future__ import annotations

from billing.core.errors import BadRequest, BillingError, Conflict


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
