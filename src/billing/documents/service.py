"""Rendering, storing and serving invoice documents, and the public invoice page.

What a stored document shows, and why the rendition key looks the way it does:

* Drafts are rendered on every request and never stored; only their PDF exists (with the
  DRAFT mark), because their number and content may still change.
* The XML formats (``ubl``, ``xrechnung``, ``cii``) read only what issuing froze: seller and
  buyer snapshots, lines, totals, references, terms. They are rendered once per invoice,
  format and renderer version, stored, and served byte-identical from then on, whatever
  happens to the invoice later (paid, cancelled, overdue).
* The PDF formats (``pdf``, ``zugferd``) also print presentation fields that legitimately
  change after issue: the status (paid, overdue, cancelled), the amount paid and balance, the
  enabled payment methods and the public URL of the QR code. Their rendition key adds the
  paper size and ``presentation_key``, a SHA-256 of those fields, so a paid invoice's PDF says
  it is paid while each earlier rendition stays exactly as it was first served (a new
  rendition is a new row; rows are never updated). The CII embedded in a Factur-X PDF is still
  built from the frozen data only, so it is byte-identical across those renditions.
* A renderer version bump (``InvoiceRenderer.version``) starts new renditions; old rows stay.

Rendering is CPU work and runs in a worker thread. Two first requests for one rendition may
both render; ``INSERT ... ON CONFLICT DO NOTHING`` keeps the first and both serve the stored
row, so every client gets the same bytes.
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth import capabilities
from billing.core.tenancy import AccessScope
from billing.documents.errors import (
    EInvoiceIncomplete,
    EInvoiceRequiresIssuedInvoice,
    InvoiceDocumentInvalid,
    UnknownDocumentFormat,
    UnknownPaperSize,
)
from billing.documents.page import render_public_page
from billing.documents.ports import PaymentOptions
from billing.documents.render_pool import RenderPool
from billing.documents.repository import (
    CreditNoteDocumentRepository,
    PaymentHistoryRepository,
    PublicInvoiceRepository,
    Rendition,
    RenditionKey,
    RenditionRepository,
    StoredDocumentRepository,
)
from billing.invoices.document import (
    build_credit_note_document,
    build_invoice_document,
    credit_note_presentation,
    presentation_of,
)
from billing.invoices.errors import InvoiceNotFound
from billing.invoices.presenter import public_url
from billing.invoices.service import invoice as invoice_service
from billing.models.credit_note import CreditNote
from billing.models.invoice import Invoice
from billing.models.states import InvoiceStatus
from billing.renderers import (
    RENDERERS,
    DocumentError,
    DocumentFormat,
    EInvoiceIncompleteError,
    InvoiceDocument,
    RenderedDocument,
    RenderOptions,
    UnknownFormatError,
    UnknownPaperSizeError,
    missing_einvoice_fields,
    paper_size_names,
)
from billing.settings.schemas import OperatorSettings

PAPER_FORMATS = frozenset({DocumentFormat.PDF, DocumentFormat.ZUGFERD})
"""Formats with pages: their renditions depend on the paper size and the presentation."""

FORMAT_NAMES = (*(member.value for member in DocumentFormat), "facturx")
"""What ``?format=`` accepts (``facturx`` is ``zugferd``)."""

DRAFT = InvoiceStatus.DRAFT
_PUBLIC_ID_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_")


@dataclass(frozen=True, slots=True)
class DocumentContext:
    """The settings, today's date (operator time zone) and the public base URL."""

    settings: OperatorSettings
    today: date
    base_url: str
    render_pool: RenderPool = field(default_factory=lambda: RenderPool(0))

    def public_url(self, invoice: Invoice) -> str:
        """The public page of ``invoice`` (the QR code target)."""
        return public_url(self.base_url, invoice.public_id)


@dataclass(frozen=True, slots=True)
class DocumentRequest:
    """A parsed download request: the format and, for the PDF formats, the paper."""

    format: DocumentFormat
    options: RenderOptions

    @property
    def paper_size(self) -> str:
        """The canonical paper size, or '' for formats without pages."""
        return self.options.paper_size if self.format in PAPER_FORMATS else ""


@dataclass(frozen=True, slots=True)
class DocumentFile:
    """The bytes to serve and how to name them."""

    media_type: str
    filename: str
    content: bytes = field(repr=False)
    sha256: str

    @property
    def etag(self) -> str:
        """The strong entity tag: the quoted SHA-256 of the content."""
        return f'"{self.sha256}"'


@dataclass(frozen=True, slots=True)
class PublicInvoice:
    """An invoice reached through its public id, and the one-tenant scope it was found in."""

    invoice: Invoice
    scope: AccessScope


def parse_request(
    format: str | DocumentFormat, paper: str | None, *, default_paper: str
) -> DocumentRequest:
    """Parse ``?format=`` and ``?paper=``; unknown values are 422 listing what is accepted."""
    try:
        document_format = DocumentFormat.parse(format)
    except UnknownFormatError:
        raise UnknownDocumentFormat.of(format, FORMAT_NAMES) from None
    try:
        options = RenderOptions(paper_size=paper or default_paper)
    except UnknownPaperSizeError:
        raise UnknownPaperSize.of(paper or default_paper, paper_size_names()) from None
    return DocumentRequest(format=document_format, options=options)


def _rendition_key(
    tenant_id: uuid.UUID,
    document_id: uuid.UUID,
    request: DocumentRequest,
    presentation_key: str,
) -> RenditionKey:
    """The key of the rendition ``request`` asks for of a document, with its renderer's
    current version (a new version renders again)."""
    return RenditionKey(
        tenant_id=tenant_id,
        document_id=document_id,
        format=request.format.value,
        paper_size=request.paper_size,
        renderer_version=RENDERERS[request.format].version,
        presentation_key=presentation_key,
    )


def _file(rendered: RenderedDocument, filename: str | None = None) -> DocumentFile:
    return DocumentFile(
        media_type=rendered.media_type,
        filename=filename or rendered.filename,
        content=rendered.content,
        sha256=rendered.sha256,
    )


class DocumentService:
    """Documents of invoices: built from the one bridge, rendered off the event loop, stored."""

    async def get(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        invoice: Invoice,
        request: DocumentRequest,
        context: DocumentContext,
    ) -> DocumentFile:
        """The document of ``invoice`` in the requested format, from storage when it exists.

        Raises:
            EInvoiceRequiresIssuedInvoice: an e-invoice of a draft.
            EInvoiceIncomplete: the invoice lacks data the e-invoice format needs.
            InvoiceDocumentInvalid: the invoice's content cannot form a document.
        """
        document_format = request.format

        async def render() -> RenderedDocument:
            # Routes read the invoice's row alone; the lines are needed only from here.
            await invoice_service.load_collections(session, scope=scope, invoice=invoice)
            return await self._render(
                self._document(invoice, context), request, context.render_pool
            )

        if invoice.status == DRAFT:
            if document_format.is_einvoice:
                raise EInvoiceRequiresIssuedInvoice
            return _file(await render(), filename=f"draft-{invoice.id}.pdf")

        presentation_key = ""
        if document_format in PAPER_FORMATS:
            presentation = presentation_of(
                invoice,
                context.settings,
                public_url=context.public_url(invoice),
                today=context.today,
            )
            presentation_key = presentation.key()
        return await self._stored(
            StoredDocumentRepository(session, scope),
            _rendition_key(invoice.tenant_id, invoice.id, request, presentation_key),
            render,
        )

    async def credit_note(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        credit_note: CreditNote,
        request: DocumentRequest,
        render_pool: RenderPool,
    ) -> DocumentFile:
        """The document of a credit note in the requested format, stored once.

        A credit note is frozen when it is issued and its PDF shows nothing that changes
        later, so each format (and paper size) is rendered once and then served from storage.

        Raises:
            EInvoiceIncomplete: the credit note lacks data the e-invoice format needs.
            InvoiceDocumentInvalid: its content cannot form a document.
        """
        document_format = request.format
        presentation_key = ""
        if document_format in PAPER_FORMATS:
            presentation_key = credit_note_presentation(credit_note).key()

        async def render() -> RenderedDocument:
            try:
                document = build_credit_note_document(credit_note)
            except DocumentError as exc:
                raise InvoiceDocumentInvalid(f"The credit note cannot be rendered: {exc}") from exc
            return await self._render(document, request, render_pool)

        return await self._stored(
            CreditNoteDocumentRepository(session, scope),
            _rendition_key(credit_note.tenant_id, credit_note.id, request, presentation_key),
            render,
        )

    async def _stored(
        self,
        repository: RenditionRepository[Rendition],
        key: RenditionKey,
        render: Callable[[], Awaitable[RenderedDocument]],
    ) -> DocumentFile:
        """The stored rendition of ``key``, rendered and stored first if there is none."""
        stored = await repository.find(key)
        if stored is None:
            await repository.insert_if_absent(key, await render())
            stored = await repository.find(key)
            if stored is None:  # pragma: no cover - the row exists once the insert returns
                raise RuntimeError("the stored document vanished after its insert")
        return DocumentFile(
            media_type=stored.media_type,
            filename=stored.filename,
            content=stored.content,
            sha256=stored.sha256,
        )

    async def find_public(self, session: AsyncSession, *, public_id: str) -> PublicInvoice:
        """The issued invoice behind a public id, with the scope narrowed to that invoice.

        The public id is an unguessable bearer capability (96 random bits); it is resolved to
        the one invoice it names (``billing.auth.capabilities``) and everything after runs in
        a scope of that invoice alone. Unknown ids and drafts are ``InvoiceNotFound``.
        """
        if not 0 < len(public_id) <= 32 or not set(public_id) <= _PUBLIC_ID_CHARACTERS:
            raise InvoiceNotFound
        ref = await capabilities.invoice_by_public_id(session, public_id)
        if ref is None:
            raise InvoiceNotFound
        scope = await capabilities.narrow(session, ref.tenant_id, invoice_id=ref.id)
        invoice = await PublicInvoiceRepository(session, scope).get_by_public_id(public_id)
        if invoice is None or invoice.status == DRAFT:
            raise InvoiceNotFound
        return PublicInvoice(invoice=invoice, scope=scope)

    async def public_page(
        self,
        session: AsyncSession,
        *,
        public: PublicInvoice,
        context: DocumentContext,
        pdf_path: str,
        options: PaymentOptions | None = None,
        nonce: str = "",
    ) -> str:
        """The HTML page of an issued invoice: what it says, what was paid, how to pay."""
        invoice = public.invoice
        document = self._document(invoice, context)
        payments = await PaymentHistoryRepository(session, public.scope).for_invoice(
            invoice.tenant_id, invoice.id
        )
        return render_public_page(
            document,
            payments=payments,
            pdf_path=pdf_path,
            timezone=ZoneInfo(context.settings.timezone),
            options=options,
            public_id=invoice.public_id,
            nonce=nonce,
        )

    def _document(self, invoice: Invoice, context: DocumentContext) -> InvoiceDocument:
        try:
            return build_invoice_document(
                invoice,
                context.settings,
                public_url=context.public_url(invoice),
                today=context.today,
            )
        except DocumentError as exc:
            raise InvoiceDocumentInvalid(f"The invoice cannot be rendered: {exc}") from exc

    async def _render(
        self, document: InvoiceDocument, request: DocumentRequest, render_pool: RenderPool
    ) -> RenderedDocument:
        if request.format.is_einvoice:
            missing = missing_einvoice_fields(document, request.format)
            if missing:
                raise EInvoiceIncomplete.of(request.format.value, missing)
        try:
            return await render_pool.render(document, request.format, request.options)
        except EInvoiceIncompleteError as exc:
            raise EInvoiceIncomplete.of(request.format.value, exc.missing) from exc
        except DocumentError as exc:
            raise InvoiceDocumentInvalid(f"The invoice cannot be rendered: {exc}") from exc


document = DocumentService()
