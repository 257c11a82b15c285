"""Invoice events for the operator's webhook endpoints, with the invoice as staff read it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.config import get_settings
from billing.core.clock import today_in
from billing.invoices.presenter import present
from billing.invoices.schemas import InvoiceRead
from billing.models.invoice import Invoice
from billing.models.states import EventType
from billing.outbox import events
from billing.settings.service import settings as settings_service


async def emit_invoice(session: AsyncSession, event_type: EventType, invoice: Invoice) -> None:
    """Queue ``event_type`` about ``invoice`` for the endpoints that want it."""

    async def read() -> InvoiceRead:
        current = await settings_service.get(session)
        base_url = current.public_base_url or get_settings().public_base_url
        return present(invoice, today=today_in(current.timezone), base_url=base_url)

    await events.emit(
        session,
        event_type,
        tenant_id=invoice.tenant_id,
        object_type="invoice",
        object_id=invoice.id,
        payload=read,
        invoice_id=invoice.id,
    )
