"""Building a WhatsApp delivery: an invoice's PDF, the combined PDF of a tenant's pending
invoices (rendered now, in memory), or a message with a public link (reminders, payment
links)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.money import format_money
from billing.core.tenancy import AccessScope
from billing.delivery.combined import CombinedPdfError, combined_pdf
from billing.delivery.context import DeliveryContext, Send
from billing.delivery.documents import document_context, invoice_files
from billing.delivery.email.compose import language_of
from billing.delivery.email.prepare import CLOSED, reminder_keys
from billing.delivery.email.texts import texts_for
from billing.delivery.transport import AttemptResult, Obsolete, PermanentFailure
from billing.delivery.whatsapp.base import WhatsAppError, phone_digits
from billing.delivery.whatsapp.registry import build_whatsapp
from billing.invoices.presenter import balance, public_url
from billing.invoices.service import invoice as invoice_service
from billing.models.delivery import Delivery
from billing.models.states import DeliveryKind
from billing.outbox.repository import PendingInvoiceReader


async def prepare_whatsapp(
    session: AsyncSession, scope: AccessScope, delivery: Delivery, context: DeliveryContext
) -> Send:
    """Build the message now and return how to send it."""
    if not delivery.recipients:
        raise PermanentFailure("The message has no phone number.")
    to = phone_digits(delivery.recipients[0])
    provider = build_whatsapp(context.settings, context.http)
    details = delivery.details
    language = language_of(details.get("language"))
    texts = texts_for(language)
    doc_context = await document_context(session, context)
    operator = (
        doc_context.settings.seller.trading_name
        or doc_context.settings.seller.legal_name
        or "Billing"
    )
    document: tuple[bytes, str] | None = None
    if delivery.kind is DeliveryKind.PAYMENT_LINK:
        text = texts["payment_link_body"].format(
            operator=operator, number=details.get("number", "")
        )
        link = str(details.get("link", ""))
    elif delivery.kind is DeliveryKind.COMBINED:
        ids = [uuid.UUID(value) for value in details.get("invoice_ids", [])]
        invoices = await PendingInvoiceReader(session, scope).by_ids(ids)
        try:
            content = await combined_pdf(invoices, doc_context)
        except CombinedPdfError as exc:
            raise PermanentFailure(exc.detail_message) from exc
        text = str(details.get("caption", ""))
        document = (content, str(details.get("filename", "invoices.pdf")))
        link = ""
    else:
        if delivery.invoice_id is None:
            raise PermanentFailure("The delivery names no invoice.")
        invoice = await invoice_service.get(session, scope=scope, invoice_id=delivery.invoice_id)
        values = {
            "operator": operator,
            "number": invoice.invoice_number or "",
            "issue_date": invoice.issue_date.isoformat(),
            "due_date": invoice.due_date.isoformat() if invoice.due_date else "",
        }
        link = public_url(doc_context.base_url, invoice.public_id)
        amount = format_money(balance(invoice), invoice.currency)
        if delivery.kind is DeliveryKind.REMINDER:
            if invoice.status in CLOSED or balance(invoice) <= 0:
                raise Obsolete(f"The invoice is {invoice.status.value}; no reminder is sent.")
            _, body_key = reminder_keys(int(details.get("offset_days", 0)))
            text = f"{texts[body_key].format(**values)} {texts['amount_due']}: {amount}"
        else:
            text = f"{texts['invoice_subject'].format(**values)}. {texts['amount_due']}: {amount}"
            files = await invoice_files(
                session, scope, invoice, ["pdf"], doc_context, doc_context.settings
            )
            document = (files[0].content, files[0].filename)

    async def send() -> AttemptResult:
        if provider is None:
            # Kept pending: it goes once the operator configures WhatsApp.
            return AttemptResult.failed("WhatsApp is not configured (BILLING_WHATSAPP_*).")
        try:
            if document is not None:
                await provider.send_document(
                    to, content=document[0], filename=document[1], caption=text
                )
            else:
                await provider.send_link(to, text=text, link=link, language=language)
        except WhatsAppError as exc:
            return AttemptResult.failed(
                str(exc), response_code=exc.status, permanent=not exc.retriable
            )
        return AttemptResult(ok=True, response_code=200)

    return send
