"""The job worker inside the API process (``BILLING_EMBEDDED_WORKER``, on by default in
development): for ``make run`` and small deployments that do not run ``billing worker``. Jobs
are the same either way; several API processes with embedded workers share the queue safely."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from billing.config import Settings
from billing.core.db import Database
from billing.worker.app import WorkerContext, create_worker_app


@asynccontextmanager
async def embedded_worker(
    app: FastAPI, settings: Settings, database: Database
) -> AsyncIterator[None]:
    """Run a worker for the lifetime of the app when the settings ask for one."""
    if not settings.runs_embedded_worker or not settings.database_url:
        yield
        return
    context = WorkerContext(database, app.state.providers, settings)
    queue = create_worker_app(settings, context)
    async with queue.open_async():
        task = asyncio.create_task(
            queue.run_worker_async(
                install_signal_handlers=False,
                name="embedded",
                concurrency=settings.embedded_worker_concurrency,
            )
        )
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
