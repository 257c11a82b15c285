"""Invoice renderers: one frozen EN 16931 snapshot, five download formats.

Pure code: no FastAPI, no ORM, no network. The service layer builds an ``InvoiceDocument``
with ``build_document``, checks ``missing_einvoice_fields`` to answer 422
``einvoice_incomplete`` early, and calls ``render`` (or ``RENDERERS[format].render``) in a
worker thread or process.
"""

from billing.renderers.base import (
    DocumentFormat,
    InvoiceRenderer,
    RenderedDocument,
    RenderOptions,
)
from billing.renderers.completeness import missing_einvoice_fields, require_complete
from billing.renderers.errors import (
    DocumentError,
    EInvoiceIncompleteError,
    InvalidEInvoiceError,
    MissingField,
    RendererError,
    UnknownFormatError,
    UnknownPaperSizeError,
)
from billing.renderers.model import (
    STANDARD_EXEMPTION_REASONS,
    Contact,
    Delivery,
    DocumentStatus,
    ElectronicAddress,
    InvoiceDocument,
    InvoiceTypeCode,
    LineInput,
    Party,
    PaymentInstructions,
    Period,
    PostalAddress,
    PrecedingInvoice,
    VatCategory,
    build_document,
)
from billing.renderers.paper import DEFAULT_PAPER_SIZE, PAPER_SIZES, paper_size, paper_size_names
from billing.renderers.registry import RENDERERS, get_renderer, render

__all__ = [
    "DEFAULT_PAPER_SIZE",
    "PAPER_SIZES",
    "RENDERERS",
    "STANDARD_EXEMPTION_REASONS",
    "Contact",
    "Delivery",
    "DocumentError",
    "DocumentFormat",
    "DocumentStatus",
    "EInvoiceIncompleteError",
    "ElectronicAddress",
    "InvalidEInvoiceError",
    "InvoiceDocument",
    "InvoiceRenderer",
    "InvoiceTypeCode",
    "LineInput",
    "MissingField",
    "Party",
    "PaymentInstructions",
    "Period",
    "PostalAddress",
    "PrecedingInvoice",
    "RenderOptions",
    "RenderedDocument",
    "RendererError",
    "UnknownFormatError",
    "UnknownPaperSizeError",
    "VatCategory",
    "build_document",
    "get_renderer",
    "missing_einvoice_fields",
    "paper_size",
    "paper_size_names",
    "render",
    "require_complete",
]
