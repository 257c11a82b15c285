"""Path lookups and query parsing for document routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request
from pydantic import PlainValidator

from billing.auth.dependencies import StaffScope, TenantScope
from billing.billing_profiles.schemas import EInvoiceFormat
from billing.core.clock import today_in
from billing.core.session import Session
from billing.documents.errors import UnknownDocumentFormat
from billing.documents.service import (
    FORMAT_NAMES,
    DocumentContext,
    DocumentRequest,
    PublicInvoice,
    parse_request,
)
from billing.documents.service import document as document_service
from billing.invoices.credit_notes.service import credit_note as credit_note_service
from billing.invoices.service import invoice as invoice_service
from billing.models.credit_note import CreditNote
from billing.models.invoice import Invoice
from billing.renderers import DocumentFormat, UnknownFormatError, paper_size_names
from billing.settings.service import settings as settings_service

_PAPER_HELP = (
    "Paper size of the PDF formats (default: the operator's default_paper_size): "
    + ", ".join(paper_size_names())
    + ". Case, spaces and dashes are ignored."
)


def _download_format(value: object) -> DocumentFormat:
    # Parsed here rather than by the enum so that any case and the alias factur-x are
    # accepted, and an unknown value is the documented 422 ``unknown_format`` listing the
    # accepted names; the schema still states the enum, so generated clients get a type.
    if isinstance(value, DocumentFormat):
        return value
    try:
        return DocumentFormat.parse(str(value))
    except UnknownFormatError:
        raise UnknownDocumentFormat.of(str(value), FORMAT_NAMES) from None


FormatQuery = Annotated[
    DocumentFormat,
    PlainValidator(_download_format, json_schema_input_type=EInvoiceFormat),
    Query(
        description="Download format: " + ", ".join(FORMAT_NAMES) + " (facturx = zugferd).",
        examples=["pdf", "xrechnung"],
    ),
]
PaperQuery = Annotated[str | None, Query(description=_PAPER_HELP, examples=["A4", "Letter"])]


async def get_document_context(request: Request, session: Session) -> DocumentContext:
    """Read the settings once per request."""
    current = await settings_service.get(session)
    base_url = current.public_base_url or request.app.state.settings.public_base_url
    return DocumentContext(
        settings=current,
        today=today_in(current.timezone),
        base_url=base_url,
        render_pool=request.app.state.render_pool,
    )


ContextDep = Annotated[DocumentContext, Depends(get_document_context)]


async def get_download_request(
    context: ContextDep, format: FormatQuery = DocumentFormat.PDF, paper: PaperQuery = None
) -> DocumentRequest:
    """``?format=`` and ``?paper=`` (422 ``unknown_format`` / ``unknown_paper_size``)."""
    return parse_request(format, paper, default_paper=context.settings.default_paper_size)


async def get_pdf_request(context: ContextDep, paper: PaperQuery = None) -> DocumentRequest:
    """``?paper=`` of a PDF route (422 ``unknown_paper_size``)."""
    return parse_request(
        DocumentFormat.PDF.value, paper, default_paper=context.settings.default_paper_size
    )


# A download of an issued invoice is a stored file: the invoice's own row says which one, so
# its lines are read only when the file has to be rendered (``DocumentService.get``).


async def get_staff_invoice_row(
    invoice_id: uuid.UUID, scope: StaffScope, session: Session
) -> Invoice:
    """The invoice's row if the staff scope sees it (else 404); reads take no row lock."""
    return await invoice_service.get(session, scope=scope, invoice_id=invoice_id, collections=False)


async def get_tenant_invoice_row(
    invoice_id: uuid.UUID, scope: TenantScope, session: Session
) -> Invoice:
    """The row of one of the caller's invoices (another tenant's is 404)."""
    return await invoice_service.get(session, scope=scope, invoice_id=invoice_id, collections=False)


async def get_staff_credit_note(
    credit_note_id: uuid.UUID, scope: StaffScope, session: Session
) -> CreditNote:
    """The credit note if the staff scope sees it (else 404)."""
    return await credit_note_service.get(session, scope=scope, credit_note_id=credit_note_id)


async def get_tenant_credit_note(
    credit_note_id: uuid.UUID, scope: TenantScope, session: Session
) -> CreditNote:
    """The caller's own credit note (another tenant's is 404)."""
    return await credit_note_service.get(session, scope=scope, credit_note_id=credit_note_id)


async def get_public_invoice(public_id: str, session: Session) -> PublicInvoice:
    """The issued invoice behind a public id (404 for unknown ids and drafts)."""
    return await document_service.find_public(session, public_id=public_id)


PdfRequest = Annotated[DocumentRequest, Depends(get_pdf_request)]
PublicInvoiceDep = Annotated[PublicInvoice, Depends(get_public_invoice)]
