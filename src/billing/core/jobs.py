"""Deferring jobs inside the caller's transaction.

A job row is inserted with procrastinate's own SQL function on the request's connection, so it
becomes visible to workers exactly when the request commits and disappears if it rolls back.
Jobs are idempotent (they re-read state under a lock), and a periodic sweep finds anything a
crash could have skipped, so no job needs a queueing lock.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import wall_now

DEFAULT_QUEUE = "billing"
POLL_TASK = "billing.poll_attempt"
SWEEP_TASK = "billing.sweep_attempts"
SETTLE_DELIVERY_TASK = "billing.settle_delivery"
RECOVER_STALLED_TASK = "billing.recover_stalled_jobs"
BILLING_CYCLE_TASK = "billing.billing_cycle"
ADVANCE_SUBSCRIPTION_TASK = "billing.advance_subscription"
COLLECT_SUBSCRIPTION_INVOICE_TASK = "billing.collect_subscription_invoice"
DELIVER_TASK = "billing.deliver"
DELIVERY_SWEEP_TASK = "billing.sweep_deliveries"
REMINDERS_TASK = "billing.send_reminders"

_DEFER = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, :lock, NULL,"
    " CAST(:args AS jsonb), CAST(:scheduled_at AS timestamptz))"
    "::procrastinate_job_to_defer_v1])"
)


async def defer(
    session: AsyncSession,
    task_name: str,
    *,
    args: dict[str, Any],
    delay: timedelta | None = None,
    queue: str = DEFAULT_QUEUE,
    lock: str | None = None,
) -> None:
    """Queue ``task_name(**args)`` to run after the current transaction commits.

    Jobs sharing a ``lock`` never run at the same time (procrastinate runs them one by one).
    """
    # procrastinate compares schedules with the database's now(): wall time, not service time.
    scheduled_at = wall_now() + delay if delay else None
    await session.execute(
        _DEFER,
        {
            "queue": queue,
            "task": task_name,
            "lock": lock,
            "args": json.dumps(args),
            "scheduled_at": scheduled_at,
        },
    )
