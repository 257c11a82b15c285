"""The sweep finds attempts whose callback never came; the poll job expires them in time."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest

from billing.core.db import Database, libpq_database_url
from billing.providers.http import build_http_client
from billing.providers.registry import ProviderFactory
from billing.worker.app import SWEEP_TASK, WorkerContext, create_worker_app, recover_stalled_jobs
from tests.fixtures.auth import Tokens
from tests.fixtures.waiting import eventually
from tests.payments.checkout.conftest import LiveStack
from tests.payments.checkout.test_mpesa import initiate, kes_invoice, scenario

pytestmark = pytest.mark.usefixtures("checkout_ready")


async def test_sweep_polls_and_expires_a_silent_push(
    http: httpx.AsyncClient,
    tokens: Tokens,
    live: LiveStack,
    database: Database,
    database_url: str,
) -> None:
    invoice = await kes_invoice(http, tokens)
    await scenario(live, result_code=0, manual=True)  # the payer never answers
    started = await initiate(http, invoice)
    detail = await http.get(
        f"/api/v1/admin/transactions/{started['reference']}", headers=tokens.admin()
    )
    attempt_id = uuid.UUID(detail.json()["data"]["id"])
    connection = await asyncpg.connect(libpq_database_url(database_url))
    try:
        # Pretend the push is ten minutes old and its first poll already ran.
        await connection.execute(
            "UPDATE payment_transactions SET created_at = now() - interval '10 minutes'"
            " WHERE id = $1",
            attempt_id,
        )
        await connection.execute(
            "DELETE FROM procrastinate_jobs WHERE args->>'attempt_id' = $1", str(attempt_id)
        )
    finally:
        await connection.close()

    http_client = build_http_client()
    context = WorkerContext(database, ProviderFactory(live.provider_settings, http_client))
    queue = create_worker_app(live.settings, context)
    async with queue.open_async():
        # The app's worker runs the sweep, which finds the push and queues its poll.
        await queue.tasks[SWEEP_TASK].defer_async(timestamp=0)
    await http_client.aclose()

    async def expired() -> bool:
        status = await http.get(f"/api/v1/payments/{started['reference']}/status")
        return bool(status.json()["data"]["status"] == "expired")

    await eventually(expired)


async def test_jobs_of_a_dead_worker_are_retried(
    live: LiveStack, database: Database, database_url: str
) -> None:
    connection = await asyncpg.connect(libpq_database_url(database_url))
    try:
        # A worker that took a job, then died: its last heartbeat is ten minutes old.
        worker_id = await connection.fetchval(
            "INSERT INTO procrastinate_workers (last_heartbeat)"
            " VALUES (now() - interval '10 minutes') RETURNING id"
        )
        job_id = await connection.fetchval(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, worker_id)"
            " VALUES ('stalled-test', 'billing.none', '{}', 'doing', $1) RETURNING id",
            worker_id,
        )
        http_client = build_http_client()
        context = WorkerContext(database, ProviderFactory(live.provider_settings, http_client))
        queue = create_worker_app(live.settings, context)
        async with queue.open_async():
            assert await recover_stalled_jobs(queue) >= 1
        await http_client.aclose()
        # Back in the queue (the app's own worker may already have picked it up again).
        row = await connection.fetchrow(
            "SELECT status, worker_id FROM procrastinate_jobs WHERE id = $1", job_id
        )
        assert row["status"] == "todo" or row["worker_id"] != worker_id
    finally:
        await connection.execute("DELETE FROM procrastinate_jobs WHERE queue_name = 'stalled-test'")
        await connection.close()
