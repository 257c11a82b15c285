"""Errors of the payment accounts."""

from __future__ import annotations

from billing.core.errors import Conflict, NotFound


class PaymentAccountNotFound(NotFound):
    """No payment account has this id."""

    code = "payment_account_not_found"
    message = "Payment account not found."


class PaymentAccountIdentifierTaken(Conflict):
    """Another account already has this identifier."""

    code = "payment_account_identifier_taken"
    message = "Another payment account already has this identifier."


class PaymentAccountInUse(Conflict):
    """Invoices were created on the account; it can be deactivated, not deleted."""

    code = "payment_account_in_use"
    message = (
        "Payment-link invoices were created on this account; deactivate it (active: false) "
        "instead of deleting it."
    )
