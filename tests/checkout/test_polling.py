"""The sweep finds attempts whose callback never came; the poll job expires them in time."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest

from billing.core.db import Database, libpq_database_url
from billing.providers.http import build_http_client
from billing.providers.registry import ProviderFactory
from billing.worker.app import SWEEP_TASK, WorkerContext, create_worker_app
from tests.checkout.conftest import LiveStack
from tests.checkout.test_mpesa import initiate, kes_invoice, scenario
from tests.fixtures.auth import Tokens

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
        sweep = queue.tasks[SWEEP_TASK]
        await sweep.defer_async(timestamp=0)
        # First pass runs the sweep, which defers the poll; the second pass runs the poll.
        for _ in range(2):
            await queue.run_worker_async(
                wait=False, install_signal_handlers=False, listen_notify=False
            )
    await http_client.aclose()
    status = await http.get(f"/api/v1/payments/{started['reference']}/status")
    assert status.json()["data"]["status"] == "expired"
