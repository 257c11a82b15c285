"""Document routes: downloads for tenants (``/api/v1/billing/invoices``) and staff
(``/api/v1/admin/invoices``), and the public invoice page and PDF (``/api/v1/public/invoices``).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth.dependencies import StaffScope, TenantScope, require
from billing.auth.principal import Permission
from billing.core.envelope import error_responses
from billing.core.session import Session
from billing.core.tenancy import AccessScope
from billing.documents.dependencies import (
    ContextDep,
    DownloadRequest,
    PdfRequest,
    PublicInvoiceDep,
    RenderPoolDep,
    StaffCreditNote,
    StaffDocumentInvoice,
    TenantCreditNote,
)
from billing.documents.errors import (
    EInvoiceIncomplete,
    EInvoiceRequiresIssuedInvoice,
    InvoiceDocumentInvalid,
    UnknownDocumentFormat,
    UnknownPaperSize,
)
from billing.documents.ports import OptionsSource
from billing.documents.responses import (
    PUBLIC_HEADERS,
    file_response,
    file_responses,
    page_headers,
)
from billing.documents.service import DocumentContext, DocumentRequest
from billing.documents.service import document as document_service
from billing.invoices.credit_notes.errors import CreditNoteNotFound
from billing.invoices.dependencies import TenantInvoice
from billing.invoices.errors import InvoiceNotFound
from billing.models.invoice import Invoice
from billing.routing import TransactionalRoute

admin_router = APIRouter(prefix="/invoices", tags=["invoices"], route_class=TransactionalRoute)
tenant_router = APIRouter(
    prefix="/invoices", tags=["billing-invoices"], route_class=TransactionalRoute
)
public_router = APIRouter(
    prefix="/public/invoices", tags=["public-invoices"], route_class=TransactionalRoute
)
admin_credit_notes_router = APIRouter(
    prefix="/credit-notes", tags=["credit-notes"], route_class=TransactionalRoute
)
tenant_credit_notes_router = APIRouter(
    prefix="/credit-notes", tags=["billing-credit-notes"], route_class=TransactionalRoute
)

DOWNLOAD_RESPONSES = {
    **file_responses("application/pdf", "application/xml"),
    **error_responses(
        InvoiceNotFound,
        EInvoiceRequiresIssuedInvoice,
        UnknownDocumentFormat,
        UnknownPaperSize,
        EInvoiceIncomplete,
        InvoiceDocumentInvalid,
    ),
}
PDF_RESPONSES = {
    **file_responses("application/pdf"),
    307: {"description": "Redirect to the PDF stored elsewhere for this invoice (pdf_url)."},
    **error_responses(InvoiceNotFound, UnknownPaperSize, InvoiceDocumentInvalid),
}
PUBLIC_PDF_RESPONSES = {
    **file_responses("application/pdf"),
    **error_responses(InvoiceNotFound, UnknownPaperSize, InvoiceDocumentInvalid),
}
CREDIT_NOTE_DOWNLOAD_RESPONSES = {
    **file_responses("application/pdf", "application/xml"),
    **error_responses(
        CreditNoteNotFound,
        UnknownDocumentFormat,
        UnknownPaperSize,
        EInvoiceIncomplete,
        InvoiceDocumentInvalid,
    ),
}
CREDIT_NOTE_PDF_RESPONSES = {
    **file_responses("application/pdf"),
    **error_responses(CreditNoteNotFound, UnknownPaperSize, InvoiceDocumentInvalid),
}
PAGE_RESPONSES = {
    200: {"description": "The invoice page.", "content": {"text/html": {}}},
    **error_responses(InvoiceNotFound, InvoiceDocumentInvalid),
}


async def _serve(
    invoice: Invoice,
    wanted: DocumentRequest,
    scope: AccessScope,
    session: AsyncSession,
    context: DocumentContext,
    request: Request,
    *,
    follow_pdf_url: bool = False,
) -> Response:
    """Answer with the stored (or freshly rendered) file; the PDF routes honour ``pdf_url``."""
    if follow_pdf_url and invoice.pdf_url:
        return RedirectResponse(invoice.pdf_url, status_code=307)
    file = await document_service.get(
        session, scope=scope, invoice=invoice, request=wanted, context=context
    )
    return file_response(request, file)


@tenant_router.get(
    "/{invoice_id}/download",
    name="billing_invoices_download",
    dependencies=[require(Permission.BILLING_READ)],
    response_class=Response,
    responses=DOWNLOAD_RESPONSES,
)
async def download_my_invoice(
    invoice: TenantInvoice,
    wanted: DownloadRequest,
    scope: TenantScope,
    session: Session,
    context: ContextDep,
    request: Request,
) -> Response:
    """Download one of the caller's invoices as PDF, UBL, XRechnung, CII or Factur-X."""
    return await _serve(invoice, wanted, scope, session, context, request)


@tenant_router.get(
    "/{invoice_id}/pdf",
    name="billing_invoices_pdf",
    dependencies=[require(Permission.BILLING_READ)],
    response_class=Response,
    responses=PDF_RESPONSES,
)
async def my_invoice_pdf(
    invoice: TenantInvoice,
    wanted: PdfRequest,
    scope: TenantScope,
    session: Session,
    context: ContextDep,
    request: Request,
) -> Response:
    """The PDF of one of the caller's invoices (307 to its pdf_url when one is set)."""
    return await _serve(invoice, wanted, scope, session, context, request, follow_pdf_url=True)


@admin_router.get(
    "/{invoice_id}/download",
    name="invoices_download",
    dependencies=[require(Permission.INVOICES_READ)],
    response_class=Response,
    responses=DOWNLOAD_RESPONSES,
)
async def download_invoice(
    invoice: StaffDocumentInvoice,
    wanted: DownloadRequest,
    scope: StaffScope,
    session: Session,
    context: ContextDep,
    request: Request,
) -> Response:
    """Download an invoice as PDF, UBL, XRechnung, CII or Factur-X."""
    return await _serve(invoice, wanted, scope, session, context, request)


@admin_router.get(
    "/{invoice_id}/pdf",
    name="invoices_pdf",
    dependencies=[require(Permission.INVOICES_READ)],
    response_class=Response,
    responses=PDF_RESPONSES,
)
async def invoice_pdf(
    invoice: StaffDocumentInvoice,
    wanted: PdfRequest,
    scope: StaffScope,
    session: Session,
    context: ContextDep,
    request: Request,
) -> Response:
    """The PDF of an invoice (307 to its pdf_url when one is set)."""
    return await _serve(invoice, wanted, scope, session, context, request, follow_pdf_url=True)


@public_router.get(
    "/{public_id}",
    name="public_invoice_page",
    response_class=HTMLResponse,
    responses=PAGE_RESPONSES,
)
async def public_invoice_page(
    public: PublicInvoiceDep,
    session: Session,
    context: ContextDep,
    source: OptionsSource,
    attempt: Annotated[
        str | None,
        Query(
            max_length=64,
            description="A payment attempt started on this page (TXN-...), to show its state.",
        ),
    ] = None,
    paid_with: Annotated[
        str | None,
        Query(
            max_length=20,
            description="The provider the payer returns from (stripe, mollie): its latest "
            "attempt on this invoice is shown.",
        ),
    ] = None,
    payment_intent: Annotated[
        str | None,
        Query(max_length=200, description="Added by Stripe on its return; not needed."),
    ] = None,
    payment_intent_client_secret: Annotated[
        str | None,
        Query(max_length=300, description="Added by Stripe on its return; ignored."),
    ] = None,
    redirect_status: Annotated[
        str | None,
        Query(max_length=40, description="Added by Stripe on its return; ignored (a hint)."),
    ] = None,
) -> HTMLResponse:
    """The public page of an issued invoice (the QR code and payment link target): the
    invoice, its payments and, while it can be paid, a form for each method it accepts;
    no authentication."""
    nonce = secrets.token_urlsafe(16)
    options = (
        await source.payment_options(
            session,
            scope=public.scope,
            invoice=public.invoice,
            attempt_reference=attempt,
            returned_from=paid_with,
        )
        if source is not None
        else None
    )
    page = await document_service.public_page(
        session,
        public=public,
        context=context,
        pdf_path=f"{public.invoice.public_id}/pdf",
        options=options,
        nonce=nonce,
    )
    card = options is not None and "stripe" in options.methods
    return HTMLResponse(page, headers=page_headers(nonce, card=card))


@public_router.get(
    "/{public_id}/pdf",
    name="public_invoice_pdf",
    response_class=Response,
    responses=PUBLIC_PDF_RESPONSES,
)
async def public_invoice_pdf(
    public: PublicInvoiceDep,
    wanted: PdfRequest,
    session: Session,
    context: ContextDep,
    request: Request,
) -> Response:
    """The PDF of an issued invoice by its public id; no authentication."""
    file = await document_service.get(
        session, scope=public.scope, invoice=public.invoice, request=wanted, context=context
    )
    return file_response(request, file, headers=PUBLIC_HEADERS)


@admin_credit_notes_router.get(
    "/{credit_note_id}/download",
    name="credit_notes_download",
    dependencies=[require(Permission.INVOICES_READ)],
    response_class=Response,
    responses=CREDIT_NOTE_DOWNLOAD_RESPONSES,
)
async def download_credit_note(
    credit_note: StaffCreditNote,
    wanted: DownloadRequest,
    scope: StaffScope,
    session: Session,
    render_pool: RenderPoolDep,
    request: Request,
) -> Response:
    """Download a credit note as PDF, UBL (a UBL CreditNote), XRechnung, CII or Factur-X."""
    file = await document_service.credit_note(
        session, scope=scope, credit_note=credit_note, request=wanted, render_pool=render_pool
    )
    return file_response(request, file)


@admin_credit_notes_router.get(
    "/{credit_note_id}/pdf",
    name="credit_notes_pdf",
    dependencies=[require(Permission.INVOICES_READ)],
    response_class=Response,
    responses=CREDIT_NOTE_PDF_RESPONSES,
)
async def credit_note_pdf(
    credit_note: StaffCreditNote,
    wanted: PdfRequest,
    scope: StaffScope,
    session: Session,
    render_pool: RenderPoolDep,
    request: Request,
) -> Response:
    """The PDF of a credit note."""
    file = await document_service.credit_note(
        session, scope=scope, credit_note=credit_note, request=wanted, render_pool=render_pool
    )
    return file_response(request, file)


@tenant_credit_notes_router.get(
    "/{credit_note_id}/download",
    name="billing_credit_notes_download",
    dependencies=[require(Permission.BILLING_READ)],
    response_class=Response,
    responses=CREDIT_NOTE_DOWNLOAD_RESPONSES,
)
async def download_my_credit_note(
    credit_note: TenantCreditNote,
    wanted: DownloadRequest,
    scope: TenantScope,
    session: Session,
    render_pool: RenderPoolDep,
    request: Request,
) -> Response:
    """Download one of the caller's credit notes as PDF, UBL, XRechnung, CII or Factur-X."""
    file = await document_service.credit_note(
        session, scope=scope, credit_note=credit_note, request=wanted, render_pool=render_pool
    )
    return file_response(request, file)


@tenant_credit_notes_router.get(
    "/{credit_note_id}/pdf",
    name="billing_credit_notes_pdf",
    dependencies=[require(Permission.BILLING_READ)],
    response_class=Response,
    responses=CREDIT_NOTE_PDF_RESPONSES,
)
async def my_credit_note_pdf(
    credit_note: TenantCreditNote,
    wanted: PdfRequest,
    scope: TenantScope,
    session: Session,
    render_pool: RenderPoolDep,
    request: Request,
) -> Response:
    """The PDF of one of the caller's credit notes."""
    file = await document_service.credit_note(
        session, scope=scope, credit_note=credit_note, request=wanted, render_pool=render_pool
    )
    return file_response(request, file)
