"""Errors of the invoices domain."""

from __future__ import annotations

from billing.core.errors import BadRequest, Conflict, NotFound, Unprocessable
from billing.settings.errors import CurrencyNotEnabled as CurrencyNotEnabled


class InvoiceNotFound(NotFound):
    """No visible invoice has this id."""

    code = "invoice_not_found"
    message = "Invoice not found."


class InvoiceItemNotFound(NotFound):
    """The invoice has no such line."""

    code = "invoice_item_not_found"
    message = "Invoice item not found."


class InvoiceNotEditable(Conflict):
    """Only drafts can be changed."""

    code = "invoice_not_editable"
    message = "Only draft invoices can be edited; cancel it and issue a new one."


class InvoiceNotDeletable(Conflict):
    """Paid, partly paid and numbered invoices stay for the audit trail."""

    code = "invoice_not_deletable"


class InvoiceNumberTaken(Conflict):
    """The requested number is already used."""

    code = "invoice_number_taken"


class InvalidStatusTransition(Conflict):
    """The requested status does not follow from the current one."""

    code = "invalid_status_transition"


class InvoiceCancelled(Conflict):
    """A cancelled invoice cannot be paid or changed."""

    code = "invoice_cancelled"
    message = "The invoice is cancelled."


class InvoiceInvalid(Unprocessable):
    """The invoice content breaks a rule (tax category, discount, product)."""

    code = "invoice_invalid"


class PaymentStatusNotSettable(BadRequest):
    """Partial and refunded follow from payments and refunds, not from a flag."""

    code = "payment_status_not_settable"


class SellerIncomplete(Unprocessable):
    """The operator's seller settings lack what the invoice's e-invoice formats need."""

    code = "seller_incomplete"
