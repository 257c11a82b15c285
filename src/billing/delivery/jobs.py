"""The delivery jobs the worker runs (registered in ``billing.worker.app``)."""

from __future__ import annotations

from datetime import timedelta

from billing.auth import capabilities
from billing.core.clock import wall_now
from billing.delivery.context import DeliveryContext
from billing.delivery.dispatch import deliver
from billing.delivery.reminders import ReminderReport, send_reminders
from billing.models.states import DeliveryStatus
from billing.outbox.queue import schedule_ref

SWEEP_GRACE = timedelta(minutes=2)
"""A pending delivery this late has lost its job (a crash): the sweep queues it again."""
SWEEP_BATCH = 500

__all__ = ["deliver", "reminders", "sweep"]


async def sweep(context: DeliveryContext) -> int:
    """Queue a job for every pending delivery overdue by more than the grace period."""
    async with context.transaction() as session:
        refs = await capabilities.due_deliveries(
            session, before=wall_now() - SWEEP_GRACE, limit=SWEEP_BATCH
        )
        for ref in refs:
            await schedule_ref(session, ref.tenant_id, ref.id)
        return len(refs)


async def reminders(context: DeliveryContext) -> ReminderReport:
    """The periodic reminder run."""
    return await send_reminders(context)


async def deliver_one(
    context: DeliveryContext, tenant_id: str, delivery_id: str
) -> DeliveryStatus | None:
    """One attempt at one delivery."""
    return await deliver(context, tenant_id, delivery_id)
