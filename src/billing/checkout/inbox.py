"""Storing provider deliveries once."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import utcnow
from billing.models.webhook_event import WebhookEvent
from billing.providers.base import CallbackEvent


async def store_event(
    session: AsyncSession, provider: str, event: CallbackEvent, payload: dict[str, Any]
) -> uuid.UUID | None:
    """Insert the delivery; ``None`` when the same delivery was stored before.

    A concurrent duplicate waits on the unique index until the first transaction ends, so at
    most one of several simultaneous deliveries goes on to be applied.
    """
    return await session.scalar(
        insert(WebhookEvent)
        .values(
            id=uuid.uuid4(),
            provider=provider,
            dedupe_key=event.dedupe_key[:300],
            kind=event.kind,
            provider_ref=event.provider_ref,
            payload=payload,
        )
        .on_conflict_do_nothing(index_elements=["provider", "dedupe_key"])
        .returning(WebhookEvent.id)
    )


async def mark_processed(session: AsyncSession, event_id: uuid.UUID, outcome: str) -> None:
    """Record what a delivery changed."""
    await session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == event_id)
        .values(outcome=outcome, processed_at=utcnow())
    )


async def events_for(session: AsyncSession, provider: str, provider_ref: str) -> list[WebhookEvent]:
    """Deliveries about one provider reference, oldest first (for support and tests)."""
    result = await session.execute(
        select(WebhookEvent)
        .where(WebhookEvent.provider == provider, WebhookEvent.provider_ref == provider_ref)
        .order_by(WebhookEvent.received_at)
    )
    return list(result.scalars().all())
