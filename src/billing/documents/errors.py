"""Errors of the invoice documents domain."""

from __future__ import annotations

from collections.abc import Sequence

from billing.core.errors import Conflict, Unprocessable
from billing.invoices.einvoice_fields import group_by_field
from billing.renderers import MissingField


class UnknownDocumentFormat(Unprocessable):
    """The ``format`` query parameter names no download format."""

    code = "unknown_format"

    @classmethod
    def of(cls, value: str, allowed: Sequence[str]) -> UnknownDocumentFormat:
        """The error for ``value``, listing the accepted formats."""
        return cls(
            f"Unknown format '{value}'. Use one of: {', '.join(allowed)}.",
            details=[{"field": "format", "value": value, "allowed": list(allowed)}],
        )


class UnknownPaperSize(Unprocessable):
    """The ``paper`` query parameter names no paper size."""

    code = "unknown_paper_size"

    @classmethod
    def of(cls, value: str, allowed: Sequence[str]) -> UnknownPaperSize:
        """The error for ``value``, listing the accepted sizes."""
        return cls(
            f"Unknown paper size '{value}'. Use one of: {', '.join(allowed)}.",
            details=[{"field": "paper", "value": value, "allowed": list(allowed)}],
        )


class EInvoiceRequiresIssuedInvoice(Conflict):
    """Drafts have no number and may still change: only their PDF (marked DRAFT) exists."""

    code = "einvoice_requires_issued_invoice"
    message = "E-invoices exist only for issued invoices; issue the draft first or ask for the PDF."


class EInvoiceIncomplete(Unprocessable):
    """The invoice lacks data the e-invoice format requires; ``details`` lists every field."""

    code = "einvoice_incomplete"

    @classmethod
    def of(cls, format: str, missing: Sequence[MissingField]) -> EInvoiceIncomplete:
        """The error naming each missing field once, in plain words; ``details`` has one entry
        per field (``field``, ``label``, ``term``, ``rule``, ``rules``, ``message``)."""
        problems = group_by_field(missing)
        labels = ", ".join(problem.label for problem in problems)
        return cls(
            f"The invoice cannot become a valid {format} e-invoice; missing or invalid: {labels}.",
            details=[problem.as_dict() for problem in problems],
        )


class InvoiceDocumentInvalid(Unprocessable):
    """The invoice's content cannot form a consistent document (a data problem, not a bug)."""

    code = "invoice_document_invalid"
