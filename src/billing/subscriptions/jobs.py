"""The subscription jobs the worker runs (registered in ``billing.worker.app``).

Each is safe to run twice or concurrently with the billing cycle: advancing locks the
subscription and re-checks it, collection takes the invoice's charge lock and re-reads.
"""

from __future__ import annotations

import uuid

import structlog

from billing.subscriptions.cycle import CycleContext, advance_one, collect_record, run_cycle
from billing.subscriptions.repository import Ref

logger = structlog.get_logger(__name__)


async def billing_cycle(context: CycleContext) -> None:
    """The periodic run: renew what is due, collect what is due."""
    report = await run_cycle(context)
    if report.periods_advanced or report.errors:
        logger.info(
            "billing_cycle",
            periods_advanced=report.periods_advanced,
            subscriptions_advanced=report.subscriptions_advanced,
            collection_steps=report.collection_steps,
            errors=len(report.errors),
        )


async def advance_subscription(context: CycleContext, tenant_id: str, subscription_id: str) -> None:
    """Bring one subscription up to today."""
    await advance_one(context, Ref(uuid.UUID(tenant_id), uuid.UUID(subscription_id)))


async def collect_invoice(context: CycleContext, tenant_id: str, record_id: str) -> None:
    """One collection step of one subscription invoice."""
    await collect_record(context, Ref(uuid.UUID(tenant_id), uuid.UUID(record_id)))
