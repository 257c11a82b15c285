"""Building an e-mail delivery: the invoice (with its documents), a reminder, or seed 004's
payment-link notice, in the language the delivery was queued with."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.money import format_money
from billing.core.tenancy import AccessScope
from billing.delivery.context import DeliveryContext, Send
from billing.delivery.documents import document_context, invoice_files
from billing.delivery.email.compose import Branding, MailContent, compose, language_of
from billing.delivery.email.smtp import InvalidSmtpUrl, parse_smtp_url, send_mail
from billing.delivery.transport import AttemptResult, Obsolete, PermanentFailure
from billing.invoices.errors import InvoiceNotFound
from billing.invoices.presenter import balance, public_url
from billing.invoices.service import invoice as invoice_service
from billing.models.delivery import Delivery
from billing.models.invoice import Invoice
from billing.models.states import DeliveryKind, InvoiceStatus

SMTP_TIMEOUT_SECONDS = 30.0
CLOSED = frozenset({InvoiceStatus.PAID, InvoiceStatus.CANCELLED})


def reminder_keys(offset_days: int) -> tuple[str, str]:
    """Subject and body of a reminder ``offset_days`` from the due date."""
    if offset_days < 0:
        return "reminder_subject_before", "reminder_before"
    if offset_days == 0:
        return "reminder_subject_due", "reminder_due"
    return "reminder_subject_after", "reminder_after"


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


async def _invoice(session: AsyncSession, scope: AccessScope, delivery: Delivery) -> Invoice:
    if delivery.invoice_id is None:
        raise PermanentFailure("The delivery names no invoice.")
    try:
        return await invoice_service.get(session, scope=scope, invoice_id=delivery.invoice_id)
    except InvoiceNotFound as exc:  # pragma: no cover - a foreign key keeps the invoice
        raise PermanentFailure("The invoice is gone.") from exc


async def prepare_email(
    session: AsyncSession, scope: AccessScope, delivery: Delivery, context: DeliveryContext
) -> Send:
    """Compose the message now (documents included) and return how to send it."""
    if not delivery.recipients:
        raise PermanentFailure("The message has no recipient.")
    details = delivery.details
    language = language_of(details.get("language"))
    doc_context = await document_context(session, context)
    branding = Branding.of(doc_context.settings)
    attachments = []
    name = str(details.get("recipient_name") or "")
    if delivery.kind is DeliveryKind.PAYMENT_LINK:
        content = MailContent(
            subject_key="payment_link_subject",
            body_key="payment_link_body",
            values={"number": str(details.get("number", ""))},
            recipient_name=name,
            amount_due=str(details.get("amount_due") or "") or None,
            link=str(details.get("link") or "") or None,
        )
    else:
        invoice = await _invoice(session, scope, delivery)
        values = {
            "number": invoice.invoice_number or "",
            "issue_date": _day(invoice.issue_date),
            "due_date": _day(invoice.due_date),
        }
        subject_key, body_key = "invoice_subject", "invoice_body"
        if delivery.kind is DeliveryKind.REMINDER:
            if invoice.status in CLOSED or balance(invoice) <= 0:
                raise Obsolete(f"The invoice is {invoice.status.value}; no reminder is sent.")
            subject_key, body_key = reminder_keys(int(details.get("offset_days", 0)))
        attachments = await invoice_files(
            session,
            scope,
            invoice,
            list(details.get("formats", ["pdf"])),
            doc_context,
            doc_context.settings,
        )
        content = MailContent(
            subject_key=subject_key,
            body_key=body_key,
            values=values,
            recipient_name=name or str(invoice.buyer.get("name") or ""),
            amount_due=format_money(balance(invoice), invoice.currency),
            due_date=values["due_date"] or None,
            link=public_url(doc_context.base_url, invoice.public_id),
            reminder=delivery.kind is DeliveryKind.REMINDER,
        )
    message = compose(
        sender=context.settings.email_from,
        recipients=list(delivery.recipients),
        language=language,
        branding=branding,
        content=content,
        attachments=attachments,
    )
    smtp_url = context.settings.smtp_url
    if smtp_url is None:

        async def unconfigured() -> AttemptResult:
            # Kept pending: the mail goes once the operator configures a server.
            return AttemptResult.failed("No mail server is configured (BILLING_SMTP_URL).")

        return unconfigured
    try:
        server = parse_smtp_url(smtp_url.get_secret_value())
    except InvalidSmtpUrl as exc:
        raise PermanentFailure(str(exc)) from exc

    async def send() -> AttemptResult:
        return await send_mail(server, message, timeout_seconds=SMTP_TIMEOUT_SECONDS)

    return send
