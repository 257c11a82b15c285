"""Overload is shed, not queued: 503 service_busy at once, never 500; rendering runs off the
event loop; the server refuses a pool budget the database cannot hold; every worker process
configures its logging."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import asyncpg
import httpx
import pytest
import structlog
import typer
from sqlalchemy.pool import QueuePool
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from billing.cli import check_connection_budget
from billing.config import Settings
from billing.core.db import Database, libpq_database_url
from billing.core.overload import InFlightLimitMiddleware, LoopLag
from billing.documents.render_pool import RENDER_NICENESS, RenderPool, render_document
from billing.main import create_app, create_served_app
from billing.renderers import DocumentFormat, EInvoiceIncompleteError
from billing.renderers.base import RenderOptions
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.fixtures.waiting import eventually
from tests.renderers.factories import single_rate


@pytest.fixture
async def tenant(factory: Factory) -> Any:
    await factory.put_settings(enable_bank_payments=True, enabled_currencies=["EUR", "KES"])
    return await factory.create_tenant(default_currency="KES", country_code="KE")


async def _client_for(settings: Settings, **changes: Any) -> tuple[httpx.AsyncClient, Database]:
    tuned = settings.model_copy(update=changes)
    assert tuned.database_url is not None
    database = Database.connect(
        tuned.database_url,
        role=tuned.app_role,
        pool_size=tuned.db_pool_size,
        max_overflow=tuned.db_max_overflow,
        pool_timeout=tuned.db_pool_timeout,
    )
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(tuned, database)), base_url="http://busy"
    )
    return client, database


@dataclass
class LockedInvoice:
    """An issued invoice whose row another transaction holds locked until ``release``."""

    invoice: dict[str, Any]
    connection: asyncpg.Connection
    transaction: Any
    released: bool = False

    async def release(self) -> None:
        """End the locking transaction (a request waiting for the row then goes on)."""
        if not self.released:
            self.released = True
            await self.transaction.rollback()
            await self.connection.close()


@pytest.fixture
async def locked_invoice(
    factory: Factory, tenant: Any, database_url: str
) -> AsyncIterator[LockedInvoice]:
    """An issued invoice whose row a concurrent transaction holds locked."""
    invoice = await factory.create_invoice(tenant["id"], status="issued")
    connection = await asyncpg.connect(libpq_database_url(database_url))
    transaction = connection.transaction()
    await transaction.start()
    await connection.execute(
        "SELECT 1 FROM invoices WHERE id = $1 FOR UPDATE", uuid.UUID(invoice["id"])
    )
    locked = LockedInvoice(invoice, connection, transaction)
    try:
        yield locked
    finally:
        await locked.release()


async def _finish(stuck: asyncio.Task[httpx.Response], locked: LockedInvoice) -> None:
    """Let the waiting request end on its own (no connection is left behind half used)."""
    await locked.release()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(stuck, timeout=30)


async def _holding_a_connection(database: Database) -> None:
    """Until a request of ``database``'s pool holds one of its connections."""

    async def held() -> bool:
        return cast(QueuePool, database.engine.sync_engine.pool).checkedout() >= 1

    await eventually(held, interval=0.01)


async def test_requests_beyond_the_in_flight_limit_are_shed_at_once(
    settings: Settings, tokens: Tokens, locked_invoice: LockedInvoice
) -> None:
    client, database = await _client_for(settings, max_in_flight=1)
    pay = f"/api/v1/admin/invoices/{locked_invoice.invoice['id']}/payments"
    stuck = asyncio.create_task(
        client.post(pay, headers=tokens.admin(), json={"amount": "1.00", "method": "bank"})
    )
    try:
        # The first request now waits for the row lock, holding the pool's connection.
        await _holding_a_connection(database)
        shed = await client.get("/api/v1/admin/tenants", headers=tokens.admin())
        assert shed.status_code == 503
        assert shed.json()["error"]["code"] == "service_busy"
        assert shed.headers["retry-after"] == "1"
        assert (await client.get("/healthz")).status_code == 200  # probes are never shed
        assert not stuck.done()
    finally:
        await _finish(stuck, locked_invoice)
        await client.aclose()
        await database.dispose()


async def test_no_free_connection_is_503_not_500(
    settings: Settings, tokens: Tokens, locked_invoice: LockedInvoice
) -> None:
    client, database = await _client_for(
        settings, db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.3
    )
    pay = f"/api/v1/admin/invoices/{locked_invoice.invoice['id']}/payments"
    stuck = asyncio.create_task(
        client.post(pay, headers=tokens.admin(), json={"amount": "1.00", "method": "bank"})
    )
    try:
        # Once it holds the pool's only connection (waiting for the row lock):
        await _holding_a_connection(database)
        await asyncio.sleep(0.1)  # and has reached the locked row
        busy = await client.get("/api/v1/admin/tenants", headers=tokens.admin())
        assert busy.status_code == 503
        assert busy.json()["error"]["code"] == "service_busy"
    finally:
        await _finish(stuck, locked_invoice)
        await client.aclose()
        await database.dispose()


def test_a_pool_budget_the_server_cannot_hold_is_refused(settings: Settings) -> None:
    assert settings.database_url is not None
    check_connection_budget(settings.database_url, settings, workers=1)
    with pytest.raises(typer.Exit) as refused:
        check_connection_budget(settings.database_url, settings, workers=10_000)
    assert refused.value.exit_code == 2


async def test_documents_render_in_other_processes_with_the_same_result() -> None:
    document = single_rate()
    pool = RenderPool(1)
    try:
        options = RenderOptions()
        remote = await pool.render(document, DocumentFormat.UBL, options)
        local = render_document(document, DocumentFormat.UBL, options)
        assert remote.content == local.content
        incomplete = document.model_copy(update={"buyer_reference": None})
        with pytest.raises(EInvoiceIncompleteError) as raised:
            await pool.render(incomplete, DocumentFormat.XRECHNUNG, options)
        # The error crossed the process boundary with the fields it names.
        assert any(item.term == "BT-10" for item in raised.value.missing)
    finally:
        pool.shutdown()


def _spawned_children() -> set[int]:
    """This process's children started by multiprocessing's ``spawn`` (Linux ``/proc``)."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # The command name (field 2) may hold spaces; fields after its ")" are plain.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
            if int(fields[1]) == os.getpid() and b"spawn_main" in command:
                children.add(int(stat.parent.name))
    return children


async def test_rendering_processes_yield_the_cores_to_the_event_loop() -> None:
    before = _spawned_children()
    pool = RenderPool(1)
    try:
        await pool.render(single_rate(), DocumentFormat.UBL, RenderOptions())
        renderers = _spawned_children() - before
        assert renderers
        own = os.getpriority(os.PRIO_PROCESS, 0)
        for pid in renderers:
            assert os.getpriority(os.PRIO_PROCESS, pid) >= min(own + RENDER_NICENESS, 19)
    finally:
        pool.shutdown()


def test_every_served_worker_process_configures_its_logging(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    assert settings.database_url is not None
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BILLING_LOG_JSON", "true")
    monkeypatch.setenv("BILLING_LOG_LEVEL", "ERROR")
    from billing.config import get_settings

    get_settings.cache_clear()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        create_served_app()
        (handler,) = root.handlers
        assert isinstance(handler.formatter, structlog.stdlib.ProcessorFormatter)
        assert root.level == logging.ERROR
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        get_settings.cache_clear()


UNCONFIGURED_APP_FAILS = """
import asyncio

import httpx

from billing.config import Settings
from billing.main import create_app

app = create_app(Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none"))


@app.get("/fails")
async def fails() -> None:
    card_secret = "sk_live_" + "kept-in-a-local"
    raise RuntimeError(f"failed after reading {len(card_secret)} characters")


async def main() -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        print("status", (await client.get("/fails")).status_code)


asyncio.run(main())
"""


def test_an_app_served_without_the_cli_logs_no_local_variables(tmp_path: Path) -> None:
    """``uvicorn billing.main:create_app --factory`` configures nothing itself: the app does,
    so a failing request logs one JSON record, not a traceback with its frames' locals."""
    script = tmp_path / "serve_elsewhere.py"
    script.write_text(UNCONFIGURED_APP_FAILS)
    env = {key: value for key, value in os.environ.items() if not key.startswith("BILLING_")}
    run = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert "status 500" in run.stdout
    assert "kept-in-a-local" not in run.stdout + run.stderr
    records = [json.loads(line) for line in run.stderr.splitlines()]  # every line is JSON
    (failure,) = [record for record in records if record["event"] == "unhandled_error"]
    assert "RuntimeError: failed after reading 23 characters" in failure["exception"]


def test_a_process_admits_as_many_requests_as_it_has_connections() -> None:
    assert Settings(db_pool_size=10, db_max_overflow=5).effective_max_in_flight == 15
    assert Settings(max_in_flight=3).effective_max_in_flight == 3


async def test_the_loop_lag_rises_while_the_loop_is_blocked_and_falls_after() -> None:
    lag = LoopLag()
    async with lag.watching():
        await asyncio.sleep(0.02)
        assert lag.seconds < 0.05
        for _ in range(8):
            time.sleep(0.1)  # noqa: ASYNC251 - holding the loop is what this test does
            await asyncio.sleep(0)
        assert lag.seconds > 0.05
        await asyncio.sleep(0.3)
        assert lag.seconds < 0.05


async def test_a_lagging_loop_sheds_beyond_the_floor_and_admits_again_when_it_catches_up() -> None:
    release = asyncio.Event()

    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        await release.wait()
        await PlainTextResponse("done")(scope, receive, send)

    lag = LoopLag()
    app = InFlightLimitMiddleware(slow_app, limit=100, lag=lag, max_lag_seconds=0.05, floor=2)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    async with client:
        held = [asyncio.create_task(client.get("/work")) for _ in range(2)]
        await asyncio.sleep(0.05)
        lag.seconds = 0.2  # the loop is behind
        shed = await asyncio.wait_for(client.get("/work"), timeout=5)
        assert shed.status_code == 503
        assert shed.json()["error"]["code"] == "service_busy"
        lag.seconds = 0.0  # caught up
        admitted = asyncio.create_task(client.get("/work"))
        release.set()
        assert (await admitted).status_code == 200
        assert [(await task).status_code for task in held] == [200, 200]


async def test_a_request_beyond_the_limit_waits_briefly_for_a_slot_then_is_shed() -> None:
    release = asyncio.Event()

    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        await release.wait()
        await PlainTextResponse("done")(scope, receive, send)

    app = InFlightLimitMiddleware(slow_app, limit=1, admission_wait_seconds=0.3)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    async with client:
        # A slot freed within the wait: the request beyond the limit is served.
        first = asyncio.create_task(client.get("/work"))
        await asyncio.sleep(0.05)
        waiting = asyncio.create_task(client.get("/work"))
        await asyncio.sleep(0.05)
        assert app.waiting == 1
        release.set()
        assert (await first).status_code == 200
        assert (await waiting).status_code == 200
        # No slot within the wait: 503 once it has passed, not before and not much after.
        release.clear()
        held = asyncio.create_task(client.get("/work"))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        shed = await client.get("/work")
        waited = time.monotonic() - started
        assert shed.status_code == 503
        assert shed.json()["error"]["code"] == "service_busy"
        assert 0.25 <= waited < 2.0
        assert app.waiting == 0
        release.set()
        assert (await held).status_code == 200
        assert app.in_flight == 0
