"""The procrastinate application and its tasks; ``billing worker`` runs it.

Tasks open their own session with the operator-wide scope (they act for whichever tenant a
job names), do their work in one transaction and commit once at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession

from billing.checkout.polling import POLL_INTERVAL, poll_attempt, stale_attempts
from billing.config import Settings
from billing.core.db import Database, libpq_database_url
from billing.core.tenancy import AccessScope, apply_scope
from billing.providers.http import build_http_client
from billing.providers.registry import ProviderFactory, ProviderSettings
from billing.worker.queue import DEFAULT_QUEUE, POLL_TASK, SWEEP_TASK, defer

__all__ = ["POLL_TASK", "SWEEP_TASK", "WorkerContext", "create_worker_app", "worker_context"]


@dataclass(slots=True)
class WorkerContext:
    """What tasks need: the database (as the app role) and the provider plugins."""

    database: Database
    providers: ProviderFactory

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction in the operator-wide scope, committed on success."""
        async with self.database.sessionmaker() as session, session.begin():
            await apply_scope(session, AccessScope.admin())
            yield session


def create_worker_app(settings: Settings, context: WorkerContext) -> procrastinate.App:
    """The job queue on the service's own PostgreSQL, with every task registered."""
    assert settings.database_url is not None
    connector = procrastinate.PsycopgConnector(conninfo=libpq_database_url(settings.database_url))
    app = procrastinate.App(connector=connector)

    @app.task(name=POLL_TASK, queue=DEFAULT_QUEUE)
    async def poll(attempt_id: str, tenant_id: str | None = None) -> None:
        """Ask the provider about an open attempt; look again later while it stays open."""
        async with context.transaction() as session:
            still_open = await poll_attempt(
                session,
                scope=AccessScope.admin(),
                providers=context.providers,
                attempt_id=uuid.UUID(attempt_id),
            )
            if still_open:
                await defer(
                    session,
                    POLL_TASK,
                    args={"attempt_id": attempt_id, "tenant_id": tenant_id},
                    delay=POLL_INTERVAL,
                )

    @app.periodic(cron="* * * * *", periodic_id="sweep")
    @app.task(name=SWEEP_TASK, queue=DEFAULT_QUEUE)
    async def sweep(timestamp: int) -> None:
        """Every minute: poll open attempts whose callback has not come (lost or late)."""
        async with context.transaction() as session:
            for attempt in await stale_attempts(session, scope=AccessScope.admin()):
                await defer(
                    session,
                    POLL_TASK,
                    args={"attempt_id": str(attempt.id), "tenant_id": str(attempt.tenant_id)},
                )

    return app


def worker_context(settings: Settings) -> WorkerContext:
    """A context for a worker process, configured from the environment."""
    assert settings.database_url is not None
    database = Database.connect(settings.database_url, role=settings.app_role, pool_size=5)
    return WorkerContext(database, ProviderFactory(ProviderSettings(), build_http_client()))
