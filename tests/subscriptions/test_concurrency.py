"""Two job workers and a manual ``billing cycle`` (another process) race over 500 subscriptions
whose trial ended: exactly 500 invoices come out, one per subscription, numbered without a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import uuid
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from billing.config import Settings
from billing.core.db import Database, libpq_database_url
from billing.core.jobs import BILLING_CYCLE_TASK, defer
from billing.providers.http import build_http_client
from billing.providers.registry import ProviderFactory, ProviderSettings
from billing.worker.app import WorkerContext, create_worker_app
from tests.fixtures.waiting import eventually
from tests.subscriptions.support import Billing

pytestmark = [pytest.mark.usefixtures("clock_back"), pytest.mark.slow]

SUBSCRIPTIONS = 500
BILLING_CLI = Path(sys.executable).with_name("billing")


async def test_two_workers_and_the_cli_invoice_each_period_once(
    billing: Billing, subs_settings: Settings, subs_database_url: str
) -> None:
    await billing.put_settings(numbering_series="yearly_sequence")
    await billing.move_to(date(2027, 3, 1))
    price = await billing.price("9.99", trial_days=30)
    tenants = [await billing.tenant() for _ in range(25)]
    gate = asyncio.Semaphore(8)

    async def subscribe(index: int) -> str:
        async with gate:
            sub = await billing.subscribe(tenants[index % len(tenants)]["id"], price)
            return str(sub["id"])

    ids = await asyncio.gather(*(subscribe(i) for i in range(SUBSCRIPTIONS)))
    await billing.move_to(date(2027, 3, 31))  # every trial ended today

    contexts = [
        WorkerContext(
            Database.connect(subs_database_url, role=subs_settings.app_role, pool_size=3),
            ProviderFactory(ProviderSettings(), build_http_client()),
            subs_settings,
        )
        for _ in range(2)
    ]
    queues = [create_worker_app(subs_settings, context) for context in contexts]
    async with contextlib.AsyncExitStack() as stack:
        for queue in queues:
            await stack.enter_async_context(queue.open_async())
        async with contexts[0].transaction() as session:
            for _ in range(2):
                await defer(session, BILLING_CYCLE_TASK, args={})
        workers = [
            asyncio.create_task(
                queue.run_worker_async(install_signal_handlers=False, concurrency=1, name=f"w{i}")
            )
            for i, queue in enumerate(queues)
        ]
        cli = await asyncio.create_subprocess_exec(
            str(BILLING_CLI),
            "cycle",
            env={
                **os.environ,
                "DATABASE_URL": subs_database_url,
                "BILLING_ENABLE_TEST_ROUTES": "true",
                "BILLING_LOG_LEVEL": "WARNING",
            },
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(cli.communicate(), timeout=300)
        assert cli.returncode == 0, err.decode()
        summary = json.loads(out.decode().strip().splitlines()[-1])

        async def cycles_done() -> bool:
            pending = await fetchval(
                subs_database_url,
                "SELECT count(*) FROM procrastinate_jobs"
                " WHERE task_name = $1 AND status IN ('todo', 'doing')",
                BILLING_CYCLE_TASK,
            )
            return int(pending) == 0

        await eventually(cycles_done, within=300, interval=0.5)
        for worker in workers:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        for context in contexts:
            await context.database.dispose()
            await context.providers.http.aclose()

    finished = await fetchval(
        subs_database_url,
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = $1 AND status = 'succeeded'",
        BILLING_CYCLE_TASK,
    )
    assert int(finished) >= 2
    assert summary["errors"] == []
    connection = await asyncpg.connect(libpq_database_url(subs_database_url))
    try:
        rows = await connection.fetch(
            "SELECT si.subscription_id, i.invoice_number FROM subscription_invoices si"
            " JOIN invoices i ON i.tenant_id = si.tenant_id AND i.id = si.invoice_id"
            " WHERE si.subscription_id = ANY($1::uuid[]) AND si.kind = 'renewal'",
            [uuid.UUID(i) for i in ids],
        )
        all_numbers = [
            row["invoice_number"]
            for row in await connection.fetch(
                "SELECT invoice_number FROM invoices WHERE invoice_number LIKE 'INV-2027-%'"
            )
        ]
    finally:
        await connection.close()
    assert len(rows) == SUBSCRIPTIONS
    assert {row["subscription_id"] for row in rows} == {uuid.UUID(i) for i in ids}
    sequence = sorted(int(number.rsplit("-", 1)[1]) for number in all_numbers)
    assert sequence == list(range(1, len(sequence) + 1))  # no gap, no duplicate
    assert len(sequence) == SUBSCRIPTIONS
    assert summary["periods_advanced"] <= SUBSCRIPTIONS


async def fetchval(database_url: str, query: str, *args: object) -> int:
    connection = await asyncpg.connect(libpq_database_url(database_url))
    try:
        return int(await connection.fetchval(query, *args))
    finally:
        await connection.close()
