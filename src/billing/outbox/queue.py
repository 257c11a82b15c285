"""Writing a message to the outbox, and when it is tried again.

``enqueue`` inserts the delivery row and defers its job on the same connection: both become
visible when the caller's transaction commits and vanish if it rolls back. The job carries a
procrastinate lock per delivery, so a manual retry never runs beside a scheduled one.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import wall_now
from billing.core.jobs import DELIVER_TASK, defer
from billing.models.delivery import Delivery
from billing.models.states import DeliveryChannel, DeliveryKind, DeliveryStatus
from billing.outbox.repository import OutboxWriter

DELIVERY_LIFETIME = timedelta(days=3)
"""How long a message is retried before it is given up (at-least-once for three days)."""


def backoff(attempts: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after the ``attempts``-th failure: exponential (base, 2 base, 4 base...)
    up to ``cap``, with "equal jitter" (half fixed, half random) so a receiver that came back
    is not hit by every retry at the same instant and no retry comes sooner than half its
    step."""
    step: float = min(cap, base * 2.0 ** max(attempts - 1, 0))
    jitter: float = (rng or random).uniform(0, step / 2)
    return step / 2 + jitter


def job_lock(delivery_id: uuid.UUID) -> str:
    """The procrastinate lock of a delivery's jobs."""
    return f"delivery:{delivery_id}"


async def schedule(
    session: AsyncSession, delivery: Delivery, *, delay: timedelta | None = None
) -> None:
    """Defer the delivery's job (after ``delay``), in the caller's transaction."""
    await schedule_ref(session, delivery.tenant_id, delivery.id, delay=delay)


async def schedule_ref(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    delivery_id: uuid.UUID,
    *,
    delay: timedelta | None = None,
) -> None:
    """Defer the job of the delivery ``delivery_id`` of ``tenant_id``."""
    await defer(
        session,
        DELIVER_TASK,
        args={"tenant_id": str(tenant_id), "delivery_id": str(delivery_id)},
        delay=delay,
        lock=job_lock(delivery_id),
    )


async def enqueue(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    channel: DeliveryChannel,
    kind: DeliveryKind,
    recipients: list[str],
    details: dict[str, Any] | None = None,
    invoice_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    event_type: str | None = None,
    endpoint_id: uuid.UUID | None = None,
    created_by: str | None = None,
    flush: bool = True,
) -> Delivery:
    """Write one message to the outbox and defer its job, both in the caller's transaction."""
    now: datetime = wall_now()
    delivery = Delivery(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        channel=channel,
        kind=kind,
        status=DeliveryStatus.PENDING,
        invoice_id=invoice_id,
        event_id=event_id,
        event_type=event_type,
        endpoint_id=endpoint_id,
        recipients=recipients,
        details=details or {},
        attempt_count=0,
        next_attempt_at=now,
        expires_at=now + DELIVERY_LIFETIME,
        created_by=created_by,
    )
    writer = OutboxWriter(session)
    writer.add(delivery)
    if flush:
        await writer.flush()
    await schedule(session, delivery)
    return delivery
