"""Document routes: invoice and credit-note downloads for tenants (``/api/v1/billing``) and
staff (``/api/v1/admin``), and the public invoice page and PDF (``/api/v1/public/invoices``).
"""

# No ``from __future__ import annotations``: the endpoints ``_add_file_routes`` builds name
# their dependencies from its arguments, so their annotations are evaluated where defined.

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth.dependencies import get_staff_scope, get_tenant_scope, require
from billing.auth.principal import Permission
from billing.core.envelope import error_responses
from billing.core.gated_router import GatedRouter
from billing.core.session import Session
from billing.core.tenancy import AccessScope
from billing.documents.dependencies import (
    ContextDep,
    PdfRequest,
    PublicInvoiceDep,
    get_download_request,
    get_pdf_request,
    get_staff_credit_note,
    get_staff_invoice_row,
    get_tenant_credit_note,
    get_tenant_invoice_row,
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
from billing.documents.service import DocumentContext, DocumentFile, DocumentRequest
from billing.documents.service import document as document_service
from billing.invoices.credit_notes.errors import CreditNoteNotFound
from billing.invoices.errors import InvoiceNotFound
from billing.models.credit_note import CreditNote
from billing.models.invoice import Invoice
from billing.routing import TransactionalRoute

_STAFF_READ = [require(Permission.INVOICES_READ)]
_TENANT_READ = [require(Permission.BILLING_READ)]

admin_router = GatedRouter(
    prefix="/invoices", tags=["invoices"], route_class=TransactionalRoute, dependencies=_STAFF_READ
)
tenant_router = GatedRouter(
    prefix="/invoices",
    tags=["billing-invoices"],
    route_class=TransactionalRoute,
    dependencies=_TENANT_READ,
)
public_router = GatedRouter(
    prefix="/public/invoices", tags=["public-invoices"], route_class=TransactionalRoute
)
admin_credit_notes_router = GatedRouter(
    prefix="/credit-notes",
    tags=["credit-notes"],
    route_class=TransactionalRoute,
    dependencies=_STAFF_READ,
)
tenant_credit_notes_router = GatedRouter(
    prefix="/credit-notes",
    tags=["billing-credit-notes"],
    route_class=TransactionalRoute,
    dependencies=_TENANT_READ,
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


RenderFile = Callable[
    [AsyncSession, AccessScope, Any, DocumentRequest, DocumentContext], Awaitable[DocumentFile]
]


async def _invoice_file(
    session: AsyncSession,
    scope: AccessScope,
    invoice: Invoice,
    wanted: DocumentRequest,
    context: DocumentContext,
) -> DocumentFile:
    return await document_service.get(
        session, scope=scope, invoice=invoice, request=wanted, context=context
    )


async def _credit_note_file(
    session: AsyncSession,
    scope: AccessScope,
    credit_note: CreditNote,
    wanted: DocumentRequest,
    context: DocumentContext,
) -> DocumentFile:
    return await document_service.credit_note(
        session,
        scope=scope,
        credit_note=credit_note,
        request=wanted,
        render_pool=context.render_pool,
    )


@dataclass(frozen=True, slots=True)
class _FileKind:
    """The files of one kind of document: its path, its renderer and the errors of each route.

    ``pdf_url``: the PDF route redirects (307) to the PDF stored elsewhere when one is set.
    """

    id_path: str
    render: RenderFile
    download_responses: dict[int | str, dict[str, Any]]
    pdf_responses: dict[int | str, dict[str, Any]]
    pdf_url: bool


INVOICE_FILES = _FileKind(
    "/{invoice_id}", _invoice_file, DOWNLOAD_RESPONSES, PDF_RESPONSES, pdf_url=True
)
CREDIT_NOTE_FILES = _FileKind(
    "/{credit_note_id}",
    _credit_note_file,
    CREDIT_NOTE_DOWNLOAD_RESPONSES,
    CREDIT_NOTE_PDF_RESPONSES,
    pdf_url=False,
)


def _add_file_routes(
    router: APIRouter,
    kind: _FileKind,
    *,
    name: str,
    find: Callable[..., Awaitable[Any]],
    scope: Callable[..., Awaitable[AccessScope]],
    download: str,
    pdf: str,
) -> None:
    """Add ``{id}/download`` (any format) and ``{id}/pdf`` of a kind of document to
    ``router``, named ``{name}_download`` and ``{name}_pdf`` and described by ``download`` and
    ``pdf``. ``find`` loads the document of the path within the caller's ``scope`` (404
    outside it)."""
    router.add_api_route(
        f"{kind.id_path}/download",
        _file_endpoint(kind, find, get_download_request, scope, follow_pdf_url=False),
        methods=["GET"],
        name=f"{name}_download",
        response_class=Response,
        responses=kind.download_responses,
        description=download,
    )
    router.add_api_route(
        f"{kind.id_path}/pdf",
        _file_endpoint(kind, find, get_pdf_request, scope, follow_pdf_url=kind.pdf_url),
        methods=["GET"],
        name=f"{name}_pdf",
        response_class=Response,
        responses=kind.pdf_responses,
        description=pdf,
    )


def _file_endpoint(
    kind: _FileKind,
    find: Callable[..., Awaitable[Any]],
    wanted: Callable[..., Awaitable[DocumentRequest]],
    scope: Callable[..., Awaitable[AccessScope]],
    *,
    follow_pdf_url: bool,
) -> Callable[..., Awaitable[Response]]:
    async def endpoint(
        document: Annotated[Any, Depends(find)],
        asked: Annotated[DocumentRequest, Depends(wanted)],
        access: Annotated[AccessScope, Depends(scope)],
        session: Session,
        context: ContextDep,
        request: Request,
    ) -> Response:
        if follow_pdf_url and document.pdf_url:
            return RedirectResponse(document.pdf_url, status_code=307)
        file = await kind.render(session, access, document, asked, context)
        return file_response(request, file)

    return endpoint


_add_file_routes(
    tenant_router,
    INVOICE_FILES,
    name="billing_invoices",
    find=get_tenant_invoice_row,
    scope=get_tenant_scope,
    download="Download one of the caller's invoices as PDF, UBL, XRechnung, CII or Factur-X.",
    pdf="The PDF of one of the caller's invoices (307 to its pdf_url when one is set).",
)
_add_file_routes(
    admin_router,
    INVOICE_FILES,
    name="invoices",
    find=get_staff_invoice_row,
    scope=get_staff_scope,
    download="Download an invoice as PDF, UBL, XRechnung, CII or Factur-X.",
    pdf="The PDF of an invoice (307 to its pdf_url when one is set).",
)
_add_file_routes(
    admin_credit_notes_router,
    CREDIT_NOTE_FILES,
    name="credit_notes",
    find=get_staff_credit_note,
    scope=get_staff_scope,
    download="Download a credit note as PDF, UBL (a UBL CreditNote), XRechnung, CII or Factur-X.",
    pdf="The PDF of a credit note.",
)
_add_file_routes(
    tenant_credit_notes_router,
    CREDIT_NOTE_FILES,
    name="billing_credit_notes",
    find=get_tenant_credit_note,
    scope=get_tenant_scope,
    download="Download one of the caller's credit notes as PDF, UBL, XRechnung, CII or Factur-X.",
    pdf="The PDF of one of the caller's credit notes.",
)


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
