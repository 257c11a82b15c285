"""One PDF of several invoices, rendered in memory (seed 003's ``send-combined``): each
invoice is rendered as its download would be, but nothing is stored; the pages are joined
with pikepdf."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pikepdf

from billing.core.errors import BillingError
from billing.documents.service import DocumentContext
from billing.invoices.document import build_invoice_document
from billing.models.invoice import Invoice
from billing.renderers import DocumentError, DocumentFormat, RenderOptions


class CombinedPdfError(BillingError):
    """An invoice of the set cannot be rendered."""

    code = "combined_pdf_invalid"
    status_code = 422


async def combined_pdf(invoices: Sequence[Invoice], context: DocumentContext) -> bytes:
    """The invoices' PDFs, in order, as one document."""
    options = RenderOptions(paper_size=context.settings.default_paper_size)
    combined = pikepdf.new()
    for invoice in invoices:
        try:
            document = build_invoice_document(
                invoice,
                context.settings,
                public_url=context.public_url(invoice),
                today=context.today,
            )
            rendered = await context.render_pool.render(document, DocumentFormat.PDF, options)
        except DocumentError as exc:
            raise CombinedPdfError(
                f"Invoice {invoice.invoice_number} cannot be rendered: {exc}"
            ) from exc
        with pikepdf.open(io.BytesIO(rendered.content)) as part:
            combined.pages.extend(part.pages)
    output = io.BytesIO()
    combined.save(output)
    return output.getvalue()
