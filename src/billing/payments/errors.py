"""Errors of the payments domain."""

from __future__ import annotations

from billing.core.errors import BadRequest, Conflict, NotFound, NotImplementedYet


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


class InsufficientWalletBalance(BadRequest):
    """The wallet holds less than asked."""

    code = "insufficient_wallet_balance"


class NothingToConsolidate(BadRequest):
    """No open unpaid invoices in that currency."""

    code = "nothing_to_consolidate"


class CodNotFound(NotFound):
    """No cash-on-delivery payment has this id."""

    code = "cod_not_found"
    message = "Cash on delivery payment not found."


class CodStateConflict(Conflict):
    """The COD payment is not in a state that allows this."""

    code = "cod_invalid_state"


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
