"""Payment reminders and overdue detection, run by a periodic job.

The operator's schedule (``notifications.reminder_days``, default -3, 0, 3, 7, 14: days from
the due date) decides which step an open invoice has reached today (in the operator's zone,
on the service clock). Only the latest step reached is sent, so a job that did not run for
days sends one reminder, not a burst. Each step is recorded in ``invoice_notices`` with a
unique (invoice, step) key before its messages are queued, in the same transaction: however
many workers run the job, a step is sent once. An invoice that is paid or cancelled is no
longer on the work list, and a reminder queued just before the payment is dropped when its
turn comes (``cancelled``). The first day past due records the ``overdue`` notice and emits
``invoice.overdue``, once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import structlog

from billing.auth import capabilities
from billing.billing_profiles.repository import BillingProfileRepository
from billing.core.clock import today_in
from billing.delivery.context import DeliveryContext
from billing.delivery.documents import attachment_formats
from billing.delivery.whatsapp.registry import configured as whatsapp_configured
from billing.invoices.errors import InvoiceNotFound
from billing.invoices.events import emit_invoice
from billing.invoices.presenter import balance
from billing.invoices.service import invoice as invoice_service
from billing.models.states import DeliveryChannel, DeliveryKind, EventType, InvoiceStatus
from billing.outbox.queue import enqueue
from billing.outbox.repository import OutboxWriter
from billing.settings.schemas import NotificationSettings
from billing.settings.service import settings as settings_service
from billing.tenants.repository import TenantRepository

logger = structlog.get_logger(__name__)

OPEN = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.SENT})
OVERDUE_STEP = "overdue"
CATCH_UP_DAYS = 7
"""How far back past the last step the job still looks (a job stopped for a week)."""
BATCH = 200
_FIRST_ID = uuid.UUID(int=0)


def step_name(offset_days: int) -> str:
    """The notice key of a reminder ``offset_days`` from the due date (``day-3``, ``day+7``)."""
    return f"day{offset_days:+d}"


def latest_step(days: list[int], due: date, today: date) -> int | None:
    """The last step of the schedule reached today, if any."""
    reached = [offset for offset in days if due + timedelta(days=offset) <= today]
    return max(reached) if reached else None


@dataclass(slots=True)
class ReminderReport:
    """What one run did."""

    reminders: int = 0
    overdue: int = 0


async def send_reminders(context: DeliveryContext, *, today: date | None = None) -> ReminderReport:
    """One run over every open invoice in the schedule's window."""
    async with context.transaction() as session:
        settings = await settings_service.get(session)
    notifications = settings.notifications
    today = today or today_in(settings.timezone)
    days = sorted(notifications.reminder_days) if notifications.reminders_enabled else []
    earliest = max([*days, 1])
    due_from = today - timedelta(days=earliest + CATCH_UP_DAYS)
    due_to = max(today - timedelta(days=min([*days, 1])), today - timedelta(days=1))
    report = ReminderReport()
    after = _FIRST_ID
    while True:
        async with context.transaction() as session:
            refs = await capabilities.reminder_invoices(
                session, due_from=due_from, due_to=due_to, after=after, limit=BATCH
            )
        if not refs:
            return report
        for ref in refs:
            await _one(context, ref, days, notifications, today, report)
        after = refs[-1].id


async def _one(
    context: DeliveryContext,
    ref: capabilities.ObjectRef,
    days: list[int],
    notifications: NotificationSettings,
    today: date,
    report: ReminderReport,
) -> None:
    async with context.transaction() as session:
        scope = await capabilities.for_tenant(session, ref.tenant_id)
        try:
            invoice = await invoice_service.get(session, scope=scope, invoice_id=ref.id)
        except InvoiceNotFound:  # pragma: no cover - the resolver just named it
            return
        if invoice.status not in OPEN or balance(invoice) <= 0 or invoice.due_date is None:
            return
        writer = OutboxWriter(session)
        if invoice.due_date < today and await writer.add_notice(
            invoice.tenant_id, invoice.id, OVERDUE_STEP
        ):
            await emit_invoice(session, EventType.INVOICE_OVERDUE, invoice)
            report.overdue += 1
        offset = latest_step(days, invoice.due_date, today)
        if offset is None or not await writer.add_notice(
            invoice.tenant_id, invoice.id, step_name(offset)
        ):
            return
        profile = await BillingProfileRepository(session, scope).get(invoice.tenant_id)
        email = profile.billing_email if profile else None
        if email is None:
            tenant = await TenantRepository(session, scope).get(invoice.tenant_id)
            email = tenant.email if tenant else None
        language = (profile.language if profile else None) or invoice.language
        details = {
            "language": language,
            "offset_days": offset,
            "step": step_name(offset),
            "formats": [value.value for value in attachment_formats(None, attach_einvoice=False)],
            "recipient_name": (profile.contact_name if profile else None)
            or invoice.buyer.get("name"),
        }
        if email:
            await enqueue(
                session,
                tenant_id=invoice.tenant_id,
                channel=DeliveryChannel.EMAIL,
                kind=DeliveryKind.REMINDER,
                recipients=[email],
                details=details,
                invoice_id=invoice.id,
                created_by="reminders",
            )
            report.reminders += 1
        phone = profile.phone if profile else None
        if notifications.reminder_whatsapp and phone and whatsapp_configured(context.settings):
            await enqueue(
                session,
                tenant_id=invoice.tenant_id,
                channel=DeliveryChannel.WHATSAPP,
                kind=DeliveryKind.REMINDER,
                recipients=[phone],
                details=details,
                invoice_id=invoice.id,
                created_by="reminders",
            )
            report.reminders += 1
        if not email and not phone:
            logger.info("reminder_without_contact", invoice_id=str(invoice.id))
