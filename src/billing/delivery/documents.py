"""The documents a message carries, fetched the way downloads are (rendered once and stored),
so an attachment is byte-identical to what the download route serves."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import today_in
from billing.core.errors import BillingError
from billing.core.tenancy import AccessScope
from billing.delivery.context import DeliveryContext
from billing.delivery.email.compose import Attachment
from billing.delivery.transport import PermanentFailure
from billing.documents.service import DocumentContext, parse_request
from billing.documents.service import document as document_service
from billing.models.invoice import Invoice
from billing.models.states import InvoiceStatus
from billing.renderers import DocumentFormat
from billing.settings.schemas import OperatorSettings
from billing.settings.service import settings as settings_service


async def document_context(session: AsyncSession, context: DeliveryContext) -> DocumentContext:
    """Settings, today in the operator's zone and the public base URL, as a download sees them."""
    current = await settings_service.get(session)
    return DocumentContext(
        settings=current,
        today=today_in(current.timezone),
        base_url=current.public_base_url or context.settings.public_base_url,
        render_pool=context.render_pool,
    )


def attachment_formats(preferred: str | None, *, attach_einvoice: bool) -> list[DocumentFormat]:
    """The PDF, and the preferred e-invoice when the profile asks for it attached; a Factur-X
    preference replaces the plain PDF (it is one)."""
    if not attach_einvoice or preferred in (None, DocumentFormat.PDF.value):
        return [DocumentFormat.PDF]
    wanted = DocumentFormat.parse(preferred)
    if wanted is DocumentFormat.ZUGFERD:
        return [DocumentFormat.ZUGFERD]
    return [DocumentFormat.PDF, wanted]


async def invoice_files(
    session: AsyncSession,
    scope: AccessScope,
    invoice: Invoice,
    formats: list[str],
    doc_context: DocumentContext,
    settings: OperatorSettings,
) -> list[Attachment]:
    """The invoice's documents in ``formats`` (a document the invoice cannot form is a
    permanent failure naming what is missing)."""
    if invoice.status is InvoiceStatus.DRAFT:
        raise PermanentFailure("A draft invoice is not sent.")
    files = []
    for name in formats:
        request = parse_request(name, None, default_paper=settings.default_paper_size)
        try:
            file = await document_service.get(
                session, scope=scope, invoice=invoice, request=request, context=doc_context
            )
        except BillingError as exc:
            raise PermanentFailure(f"The {name} document cannot be made: {exc}") from exc
        files.append(Attachment(file.filename, file.media_type, file.content))
    return files
