"""Outbox throughput: signed webhook deliveries per second to a local receiver.

A real HTTP receiver (uvicorn in a thread, answering 200) gets one endpoint. For each run a
batch of events is written to the outbox while no worker runs (one transaction, as a busy
request stream would leave them), then 1 or 2 ``billing worker`` processes (4 jobs at once
each, as deployed) are started and timed until every delivery is ``delivered``: each job
reads the delivery, signs the event (Standard Webhooks), POSTs it, and records the attempt in
a second transaction. Beside them, in the same run, the floor: the same bodies POSTed to the
same receiver with a bare ``httpx.AsyncClient``, one at a time and 8 at once.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from typing import Any

import asyncpg
import httpx

from billing.auth import capabilities
from billing.auth.principal import Role
from billing.auth.tokens import mint_token
from billing.config import Settings
from billing.core.db import Database, libpq_database_url
from billing.main import create_app
from billing.models.states import EventType
from billing.outbox import events
from billing_fakes.server import CallbackRecorder, FakeServer

BATCH = 500
WORKER_CONCURRENCY = 4


def _accept(_: Any) -> tuple[int, Any]:
    return 200, {"ok": True}


def _payload(number: int) -> dict[str, Any]:
    """About the size of an invoice's representation."""
    return {
        "id": str(uuid.uuid4()),
        "invoice_number": f"INV-2026-{number:05d}",
        "status": "issued",
        "currency": "EUR",
        "total_amount": "116.00",
        "items": [{"name": f"Line {n}", "quantity": "1", "unit_price": "10.00"} for n in range(8)],
    }


async def _write_batch(database: Database, tenant_id: uuid.UUID, count: int) -> None:
    async with database.sessionmaker() as session, session.begin():
        scope = await capabilities.for_tenant(session, tenant_id)
        del scope  # sets the tenant for the rows written below
        for number in range(count):
            body = _payload(number)

            async def payload(body: dict[str, Any] = body) -> dict[str, Any]:
                return body

            await events.emit(
                session,
                EventType.INVOICE_ISSUED,
                tenant_id=tenant_id,
                object_type="invoice",
                object_id=uuid.uuid4(),
                payload=payload,
            )


async def _pending(connection: asyncpg.Connection) -> int:
    value = await connection.fetchval(
        "SELECT count(*) FROM deliveries WHERE status <> 'delivered' AND channel = 'webhook'"
    )
    return int(value)


async def _run_workers(url: str, workers: int, connection: asyncpg.Connection) -> float:
    """Deliveries per second of ``workers`` worker processes, from the first delivery to the
    last of the pending batch."""
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("BILLING_")},
        "DATABASE_URL": url,
        "BILLING_ENVIRONMENT": "test",
        "BILLING_LOG_LEVEL": "WARNING",
    }
    total = await _pending(connection)
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "billing.cli",
            "worker",
            "--concurrency",
            str(WORKER_CONCURRENCY),
            env=environment,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        first: tuple[float, int] | None = None
        while True:
            pending = await _pending(connection)
            now = time.perf_counter()
            if first is None and pending < total:
                first = (now, pending)
            if pending == 0:
                break
            if any(process.returncode is not None for process in processes):
                raise RuntimeError("a worker exited")
            await asyncio.sleep(0.02)
        assert first is not None
        started, left = first
        return left / (now - started)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await asyncio.wait_for(process.wait(), timeout=30)


async def _raw_posts(target: str, count: int, concurrency: int) -> float:
    """Deliveries per second of bare POSTs of the same kind of body."""
    bodies = [httpx.Request("POST", target, json=_payload(n)).content for n in range(count)]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    async with httpx.AsyncClient(timeout=10) as client:

        async def post_all() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                response = await client.post(
                    target, content=body, headers={"content-type": "application/json"}
                )
                assert response.status_code == 200

        started = time.perf_counter()
        await asyncio.gather(*(post_all() for _ in range(concurrency)))
        return count / (time.perf_counter() - started)


async def run(url: str, *, seconds: float) -> dict[str, float]:
    """Benchmark the outbox with 1 and 2 workers beside raw POSTs; prints the table."""
    del seconds  # a fixed batch, not a time box: a run ends when the outbox is empty
    recorder = CallbackRecorder(_accept)
    settings = Settings(database_url=url, environment="test", log_json=False)
    database = Database.connect(url, role=settings.app_role, pool_size=2, max_overflow=0)
    app = create_app(settings, database)
    admin = {"Authorization": f"Bearer {mint_token(settings, role=Role.ADMIN, subject='bench')}"}
    results: dict[str, float] = {}
    with FakeServer(recorder, name="outbox-receiver") as receiver:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:
            tenant = await client.post(
                "/api/v1/admin/tenants", json={"name": "Outbox bench"}, headers=admin
            )
            assert tenant.status_code == 201, tenant.text
            tenant_id = uuid.UUID(tenant.json()["data"]["id"])
            endpoint = await client.post(
                "/api/v1/admin/webhook-endpoints",
                json={"url": receiver.url("/hook"), "event_types": ["invoice.issued"]},
                headers=admin,
            )
            assert endpoint.status_code == 201, endpoint.text
        results["raw httpx POST, 1 at a time"] = await _raw_posts(receiver.url("/hook"), BATCH, 1)
        results["raw httpx POST, 8 at a time"] = await _raw_posts(receiver.url("/hook"), BATCH, 8)
        connection = await asyncpg.connect(libpq_database_url(url))
        try:
            for workers in (1, 2):
                recorder.clear()
                await _write_batch(database, tenant_id, BATCH)
                rate = await _run_workers(url, workers, connection)
                assert len(recorder.requests) >= BATCH
                plural = "s" if workers > 1 else ""
                results[f"outbox, {workers} worker{plural} x {WORKER_CONCURRENCY} jobs"] = rate
        finally:
            await connection.close()
    await database.dispose()
    print(f"\nOutbox: signed webhook deliveries per second ({BATCH} per run, local receiver)")
    print(f"{'sender':<44} {'deliveries/s':>13}")
    for name, rate in results.items():
        print(f"{name:<44} {rate:>13.0f}")
    print("(outbox runs timed from their first delivery to their last: start-up left out)")
    return results
