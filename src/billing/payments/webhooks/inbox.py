"""The inbox of provider deliveries: each stored once, processed by a job.

Only a transaction that opened the inbox (``capabilities.open_inbox``: delivery routes and
settlement jobs) or an admin sees ``webhook_events``; row-level security enforces it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import utcnow
from billing.models.webhook_event import WebhookEvent
from billing.providers.base import CallbackEvent, CallbackKind


@dataclass(frozen=True, slots=True)
class Stored:
    """A delivery in the inbox; ``new`` is false when the same delivery was stored before."""

    id: uuid.UUID
    new: bool


class InboxRepository:
    """Every statement on ``webhook_events``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def store(
        self, provider: str, event: CallbackEvent, payload: Mapping[str, Any]
    ) -> Stored:
        """Insert the delivery once (``ON CONFLICT DO NOTHING`` on provider + dedupe key).

        A concurrent duplicate waits on the unique index until the first transaction ends, so
        of several simultaneous copies exactly one is new.
        """
        dedupe_key = event.dedupe_key[:300]
        inserted = await self.session.scalar(
            insert(WebhookEvent)
            .values(
                id=uuid.uuid4(),
                provider=provider,
                dedupe_key=dedupe_key,
                kind=event.kind,
                provider_ref=event.provider_ref[:200],
                payload=dict(payload),
            )
            .on_conflict_do_nothing(index_elements=["provider", "dedupe_key"])
            .returning(WebhookEvent.id)
        )
        if inserted is not None:
            return Stored(inserted, new=True)
        existing = await self.session.scalar(
            select(WebhookEvent.id).where(
                WebhookEvent.provider == provider, WebhookEvent.dedupe_key == dedupe_key
            )
        )
        assert existing is not None  # the conflicting row is committed and visible now
        return Stored(existing, new=False)

    async def get(self, event_id: uuid.UUID) -> WebhookEvent | None:
        """One delivery."""
        return await self.session.get(WebhookEvent, event_id)

    async def find(
        self, provider: str, kind: CallbackKind, provider_ref: str
    ) -> WebhookEvent | None:
        """The first delivery of ``kind`` about ``provider_ref``."""
        return await self.session.scalar(
            select(WebhookEvent)
            .where(
                WebhookEvent.provider == provider,
                WebhookEvent.kind == kind,
                WebhookEvent.provider_ref == provider_ref,
            )
            .order_by(WebhookEvent.received_at)
            .limit(1)
        )

    async def mark_processed(self, event_id: uuid.UUID, outcome: str) -> None:
        """Record what processing a delivery changed."""
        await self.session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == event_id)
            .values(outcome=outcome[:100], processed_at=utcnow())
        )

    async def list_page(
        self,
        *,
        provider: str | None,
        outcome: str | None,
        provider_ref: str | None,
        page: int,
        per_page: int,
    ) -> tuple[Sequence[WebhookEvent], int]:
        """Deliveries, newest first (operator staff)."""
        statement = select(WebhookEvent)
        if provider:
            statement = statement.where(WebhookEvent.provider == provider)
        if outcome:
            statement = statement.where(WebhookEvent.outcome == outcome)
        if provider_ref:
            statement = statement.where(WebhookEvent.provider_ref == provider_ref)
        total = await self.session.scalar(select(func.count()).select_from(statement.subquery()))
        rows = await self.session.scalars(
            statement.order_by(WebhookEvent.received_at.desc(), WebhookEvent.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        return rows.all(), int(total or 0)
