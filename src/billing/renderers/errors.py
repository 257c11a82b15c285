"""Typed failures of the renderers; each carries the stable ``code`` the API puts in its envelope.

The renderers are pure and raise instead of emitting a document that would be rejected
downstream: an e-invoice that misses a mandatory field, or a paper size we do not know.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class MissingField:
    """One reason why an invoice cannot become a valid e-invoice in a given format.

    Attributes:
        field: the field as the API names it (``seller.vat_id``, ``items[2].exemption_reason``).
        term: the EN 16931 business term or group (``BT-31``, ``BG-16``).
        rule: the rule that requires it (``BR-S-02``, ``BR-DE-15``, ``PEPPOL-EN16931-R020``).
        message: a plain-language explanation that names what to supply.
    """

    field: str
    term: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """The JSON shape used in the ``details`` of a 422 ``einvoice_incomplete`` error."""
        return {"field": self.field, "term": self.term, "rule": self.rule, "message": self.message}


class RendererError(Exception):
    """Base class of every error a renderer raises on purpose."""

    code: ClassVar[str] = "render_failed"


class DocumentError(RendererError, ValueError):
    """The builder inputs cannot form a consistent invoice document."""

    code: ClassVar[str] = "invalid_invoice_document"


class UnknownFormatError(RendererError, ValueError):
    """The requested download format is not one of ``DocumentFormat``."""

    code: ClassVar[str] = "unknown_document_format"

    def __init__(self, value: str, allowed: Sequence[str]) -> None:
        self.value = value
        self.allowed = tuple(allowed)
        super().__init__(f"unknown document format {value!r}; use one of: {', '.join(allowed)}")


class UnknownPaperSizeError(RendererError, ValueError):
    """The requested paper size is not one of ``paper.PAPER_SIZES``."""

    code: ClassVar[str] = "unknown_paper_size"

    def __init__(self, value: str, allowed: Sequence[str]) -> None:
        self.value = value
        self.allowed = tuple(allowed)
        super().__init__(f"unknown paper size {value!r}; use one of: {', '.join(allowed)}")


class EInvoiceIncompleteError(RendererError):
    """The invoice lacks data the target e-invoice format requires; nothing was emitted."""

    code: ClassVar[str] = "einvoice_incomplete"

    def __init__(self, missing: Sequence[MissingField], *, format: str = "") -> None:
        self.missing: tuple[MissingField, ...] = tuple(missing)
        self.format = format
        fields = ", ".join(f"{item.field} ({item.term})" for item in self.missing)
        target = f"a valid {format} e-invoice" if format else "a valid e-invoice"
        super().__init__(f"the invoice cannot produce {target}; missing or invalid: {fields}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its fields when it crosses a process boundary (the render pool).
        return (_rebuild_incomplete, (self.missing, self.format))


class InvalidEInvoiceError(RendererError):
    """The generated XML failed its schema check; a bug in a renderer, never user input."""

    code: ClassVar[str] = "einvoice_invalid"

    def __init__(self, message: str, issues: Sequence[str] = ()) -> None:
        self.issues = tuple(issues)
        super().__init__(message)


def _rebuild_incomplete(missing: Sequence[MissingField], format: str) -> EInvoiceIncompleteError:
    return EInvoiceIncompleteError(missing, format=format)
