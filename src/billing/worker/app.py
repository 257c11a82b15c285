"""The procrastinate application and its tasks; ``billing worker`` runs it (and
``billing serve`` inside the API process when ``BILLING_EMBEDDED_WORKER`` is on).

Tasks open their own session and transaction with no access scope: each job narrows to the
tenant and object it names before touching anything (row-level security shows nothing until
then), does its work and commits once at the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession

from billing.config import Settings
from billing.core import clock
from billing.core.db import Database, libpq_database_url
from billing.core.jobs import (
    ADVANCE_SUBSCRIPTION_TASK,
    BILLING_CYCLE_TASK,
    COLLECT_SUBSCRIPTION_INVOICE_TASK,
    DEFAULT_QUEUE,
    DELIVER_TASK,
    DELIVERY_SWEEP_TASK,
    POLL_TASK,
    RECOVER_STALLED_TASK,
    REMINDERS_TASK,
    SETTLE_DELIVERY_TASK,
    SWEEP_TASK,
)
from billing.delivery import jobs as delivery_jobs
from billing.delivery.context import DeliveryContext
from billing.payments import jobs
from billing.providers.http import build_http_client
from billing.providers.registry import ProviderFactory, ProviderSettings
from billing.subscriptions import jobs as subscription_jobs
from billing.subscriptions.cycle import CycleContext

__all__ = [
    "BILLING_CYCLE_TASK",
    "POLL_TASK",
    "RECOVER_STALLED_TASK",
    "SETTLE_DELIVERY_TASK",
    "SWEEP_TASK",
    "WorkerContext",
    "create_worker_app",
    "worker_context",
]

# A delivery whose provider could not be asked is retried with growing delays for ~2 hours;
# the sweep keeps polling open attempts after that.
SETTLE_RETRY = procrastinate.RetryStrategy(max_attempts=12, exponential_wait=2)
# A worker that has not sent a heartbeat for this long is considered dead.
STALLED_AFTER_SECONDS = 60


@dataclass(slots=True)
class WorkerContext:
    """What tasks need: the database (as the app role), the provider plugins, the settings."""

    database: Database
    providers: ProviderFactory
    settings: Settings | None = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction with no scope (fail closed), committed on success."""
        async with self.database.sessionmaker() as session, session.begin():
            if self.settings is not None and self.settings.enable_test_routes:
                # Tests may have moved the service clock from another process.
                await clock.refresh(session)
            yield session

    def delivery(self) -> DeliveryContext:
        """What sending the outbox needs from this worker."""
        assert self.settings is not None
        return DeliveryContext(self.transaction, self.providers.http, self.settings)

    def cycle(self) -> CycleContext:
        """What the billing cycle needs from this worker."""
        assert self.settings is not None
        return CycleContext(self.transaction, self.providers, self.settings)


def create_worker_app(settings: Settings, context: WorkerContext) -> procrastinate.App:
    """The job queue on the service's own PostgreSQL, with every task registered."""
    assert settings.database_url is not None
    context.settings = context.settings or settings
    connector = procrastinate.PsycopgConnector(conninfo=libpq_database_url(settings.database_url))
    app = procrastinate.App(connector=connector)

    @app.task(name=SETTLE_DELIVERY_TASK, queue=DEFAULT_QUEUE, retry=SETTLE_RETRY)
    async def settle_delivery(event_id: str) -> None:
        """Settle one stored provider delivery (fetching the truth from the provider)."""
        await jobs.settle_delivery(context.transaction, context.providers, settings, event_id)

    @app.task(name=POLL_TASK, queue=DEFAULT_QUEUE)
    async def poll(attempt_id: str, tenant_id: str | None = None) -> None:
        """Ask the provider about an open attempt; look again later while it stays open."""
        await jobs.poll(context.transaction, context.providers, attempt_id, tenant_id)

    @app.periodic(cron="* * * * *", periodic_id="sweep")
    @app.task(name=SWEEP_TASK, queue=DEFAULT_QUEUE)
    async def sweep(timestamp: int) -> None:
        """Every minute: poll open attempts whose callback has not come (lost or late)."""
        await jobs.sweep(context.transaction)

    @app.periodic(cron="* * * * *", periodic_id="billing-cycle")
    @app.task(name=BILLING_CYCLE_TASK, queue=DEFAULT_QUEUE)
    async def billing_cycle(timestamp: int | None = None) -> None:
        """Every minute: renew subscriptions whose period ended, then collect what is due."""
        await subscription_jobs.billing_cycle(context.cycle())

    @app.task(name=ADVANCE_SUBSCRIPTION_TASK, queue=DEFAULT_QUEUE)
    async def advance_subscription(tenant_id: str, subscription_id: str) -> None:
        """Bring one subscription up to today (created in the past), then collect."""
        await subscription_jobs.advance_subscription(context.cycle(), tenant_id, subscription_id)

    @app.task(name=COLLECT_SUBSCRIPTION_INVOICE_TASK, queue=DEFAULT_QUEUE)
    async def collect_subscription_invoice(tenant_id: str, record_id: str) -> None:
        """Charge one subscription invoice that is due (a change invoiced at once)."""
        await subscription_jobs.collect_invoice(context.cycle(), tenant_id, record_id)

    @app.task(name=DELIVER_TASK, queue=DEFAULT_QUEUE)
    async def deliver(tenant_id: str, delivery_id: str) -> None:
        """One attempt at one outbox message (e-mail, WhatsApp, webhook)."""
        await delivery_jobs.deliver_one(context.delivery(), tenant_id, delivery_id)

    @app.periodic(cron="* * * * *", periodic_id="sweep-deliveries")
    @app.task(name=DELIVERY_SWEEP_TASK, queue=DEFAULT_QUEUE)
    async def sweep_deliveries(timestamp: int | None = None) -> None:
        """Every minute: queue pending deliveries whose job was lost."""
        await delivery_jobs.sweep(context.delivery())

    @app.periodic(cron="* * * * *", periodic_id="reminders")
    @app.task(name=REMINDERS_TASK, queue=DEFAULT_QUEUE)
    async def send_reminders(timestamp: int | None = None) -> None:
        """Every minute: payment reminders due today and overdue notices (each once)."""
        await delivery_jobs.reminders(context.delivery())

    @app.periodic(cron="* * * * *", periodic_id="recover-stalled")
    @app.task(name=RECOVER_STALLED_TASK, queue=DEFAULT_QUEUE, pass_context=True)
    async def recover_stalled(job_context: procrastinate.JobContext, timestamp: int) -> None:
        """Every minute: retry jobs left ``doing`` by a worker that died (no heartbeat)."""
        await recover_stalled_jobs(job_context.app)

    return app


async def recover_stalled_jobs(
    app: procrastinate.App, *, seconds_since_heartbeat: float = STALLED_AFTER_SECONDS
) -> int:
    """Put back to ``todo`` every job whose worker stopped sending heartbeats; returns how
    many. Every task is safe to run again."""
    manager = app.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=seconds_since_heartbeat))
    for job in stalled:
        await manager.retry_job(job)
    return len(stalled)


def worker_context(settings: Settings) -> WorkerContext:
    """A context for a worker process, configured from the environment."""
    assert settings.database_url is not None
    database = Database.connect(settings.database_url, role=settings.app_role, pool_size=5)
    return WorkerContext(
        database, ProviderFactory(ProviderSettings(), build_http_client()), settings
    )
