"""Errors of credit notes."""

from __future__ import annotations

from billing.core.errors import BadRequest, Conflict, NotFound, Unprocessable


class CreditNoteNotFound(NotFound):
    """No visible credit note has this id."""

    code = "credit_note_not_found"
    message = "Credit note not found."


class InvoiceNotCreditable(Conflict):
    """Only issued (sent, paid, overdue) invoices take credit notes."""

    code = "invoice_not_creditable"


class NothingToCredit(Conflict):
    """Everything the invoice billed has been credited already."""

    code = "nothing_to_credit"
    message = "Everything on this invoice has been credited already."


class CreditExceedsRemaining(BadRequest):
    """The credit note would credit more than what remains creditable on the invoice."""

    code = "credit_exceeds_remaining"


class CreditExceedsBalance(BadRequest):
    """``reduce_balance`` cannot reduce more than what is still open on the invoice."""

    code = "credit_exceeds_balance"


class CreditNoteInvalid(Unprocessable):
    """The request names lines or VAT groups the invoice does not have, or cannot be written."""

    code = "credit_note_invalid"


class CreditAmountUnreachable(BadRequest):
    """No credit note can total exactly this amount: its VAT is rounded per VAT group."""

    code = "credit_amount_unreachable"
