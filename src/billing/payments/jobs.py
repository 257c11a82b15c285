"""The payment jobs the worker runs: settle a stored delivery, poll an open attempt, sweep.

Each job opens its own transaction with no scope at all (row-level security shows nothing),
then narrows to the one tenant and object it names or resolves. Every job can run twice, or
concurrently with another, without moving money twice: settlement re-reads under the attempt's
lock and is monotonic.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncSession

from billing.config import Settings
from billing.core.jobs import POLL_TASK, defer
from billing.payments.dependencies import public_base_url
from billing.payments.settlement.polling import POLL_INTERVAL, poll_attempt, stale_attempts
from billing.payments.webhooks.processing import process_delivery
from billing.providers.registry import ProviderFactory

Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def settle_delivery(
    transaction: Transaction, providers: ProviderFactory, settings: Settings, event_id: str
) -> str:
    """Settle what one inbox delivery is about (fetching the truth from the provider)."""
    async with transaction() as session:
        base_url = await public_base_url(session, settings)
        return await process_delivery(
            session,
            providers=providers,
            settings=settings,
            base_url=base_url,
            event_id=uuid.UUID(event_id),
        )


async def poll(
    transaction: Transaction, providers: ProviderFactory, attempt_id: str, tenant_id: str | None
) -> bool:
    """Ask the provider about an open attempt; look again later while it stays open."""
    if tenant_id is None:
        return False  # queued before jobs named their tenant; the sweep requeues it
    async with transaction() as session:
        still_open = await poll_attempt(
            session,
            providers=providers,
            tenant_id=uuid.UUID(tenant_id),
            attempt_id=uuid.UUID(attempt_id),
        )
        if still_open:
            await defer(
                session,
                POLL_TASK,
                args={"attempt_id": attempt_id, "tenant_id": tenant_id},
                delay=POLL_INTERVAL,
            )
        return still_open


async def sweep(transaction: Transaction) -> int:
    """Queue a poll of every open attempt whose callback should have come (lost or late)."""
    async with transaction() as session:
        stale = await stale_attempts(session)
        for ref in stale:
            await defer(
                session,
                POLL_TASK,
                args={"attempt_id": str(ref.id), "tenant_id": str(ref.tenant_id)},
            )
        return len(stale)
