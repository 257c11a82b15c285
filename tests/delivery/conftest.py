"""Fixtures of the delivery tests: a real job worker (procrastinate) with fast retries, a real
HTTP receiver for webhooks, endpoints removed after each test."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from billing.config import Settings
from billing.core.db import Database, libpq_database_url
from billing.delivery.context import DeliveryContext
from billing.providers.http import build_http_client
from billing.providers.registry import ProviderFactory, ProviderSettings
from billing.worker.app import WorkerContext, create_worker_app
from billing_fakes.server import CallbackRecorder, FakeServer, ReceivedRequest
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.fixtures.servers import free_port

ADMIN = "/api/v1/admin"


class Receiver:
    """A webhook receiver over real HTTP: answers ``failures`` requests with 503, then 200."""

    def __init__(self) -> None:
        self.failures = 0
        self._lock = threading.Lock()
        self.recorder = CallbackRecorder(self._respond)

    def _respond(self, request: ReceivedRequest) -> tuple[int, Any]:
        with self._lock:
            if self.failures > 0:
                self.failures -= 1
                return 503, {"error": "busy"}
        return 200, {"ok": True}

    @property
    def requests(self) -> list[ReceivedRequest]:
        return self.recorder.requests

    def events(self, *, acknowledged_only: bool = False) -> list[dict[str, Any]]:
        return [json.loads(request.body) for request in self.requests]

    def clear(self) -> None:
        self.recorder.clear()
        self.failures = 0


@pytest.fixture(scope="session")
def receiver() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with FakeServer(receiver.recorder, name="webhook-receiver") as server:
        yield receiver, server.base_url


class MailSink:
    """What the SMTP server received; refuses ``failures`` messages with 451 first."""

    def __init__(self) -> None:
        self.failures = 0
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            if self.failures > 0:
                self.failures -= 1
                return "451 4.3.0 Try again later"
            message = BytesParser(policy=policy.default).parsebytes(envelope.content)
            assert isinstance(message, EmailMessage)
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[MailSink, int]]:
    """A real SMTP server (aiosmtpd) on a free local port."""
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield sink, controller.port
    controller.stop()


@pytest.fixture(scope="session")
def delivery_settings(settings: Settings, smtp: tuple[MailSink, int]) -> Settings:
    """The worker's settings: the test mail server, retries after a fraction of a second."""
    return settings.model_copy(
        update={
            "delivery_retry_base_seconds": 0.2,
            "delivery_retry_max_seconds": 0.5,
            "smtp_url": SecretStr(f"smtp://127.0.0.1:{smtp[1]}"),
            "email_from": "billing@operator.example",
        }
    )


@pytest.fixture(scope="package")
async def worker(delivery_settings: Settings, database: Database) -> AsyncIterator[WorkerContext]:
    """A procrastinate worker running every task, polling for scheduled retries often; a test
    may swap the context's settings (another WhatsApp plugin) and put them back. It stops with
    this package, so that it never takes the jobs of later tests (it knows no payment
    provider)."""
    http = build_http_client()
    context = WorkerContext(database, ProviderFactory(ProviderSettings(), http), delivery_settings)
    queue = create_worker_app(delivery_settings, context)
    async with queue.open_async():
        task = asyncio.create_task(
            queue.run_worker_async(
                install_signal_handlers=False,
                name="delivery-tests",
                concurrency=4,
                fetch_job_polling_interval=0.1,
            )
        )
        yield context
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await http.aclose()


@pytest.fixture
async def delivery_context(
    delivery_settings: Settings, database: Database
) -> AsyncIterator[DeliveryContext]:
    """Running the delivery jobs' code directly (no queue)."""
    http = build_http_client()

    @contextlib.asynccontextmanager
    async def transaction() -> AsyncIterator[Any]:
        async with database.sessionmaker() as session, session.begin():
            yield session

    yield DeliveryContext(transaction, http, delivery_settings)
    await http.aclose()


@pytest.fixture(autouse=True)
async def no_endpoints_after(client: httpx.AsyncClient, tokens: Tokens) -> AsyncIterator[None]:
    """Endpoints made by a test are deleted after it (later tests emit to nobody)."""
    yield
    listed = await client.get(
        f"{ADMIN}/webhook-endpoints", headers=tokens.admin(), params={"per_page": 500}
    )
    for endpoint in listed.json()["data"]:
        await client.delete(f"{ADMIN}/webhook-endpoints/{endpoint['id']}", headers=tokens.admin())


@pytest.fixture(autouse=True)
async def delivery_operator(factory: Factory) -> None:
    await factory.put_settings(
        enable_cash=True,
        enable_bank_payments=True,
        default_tax_rate="16.00",
        enabled_currencies=["EUR", "KES"],
        timezone="UTC",
    )


async def fetch(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    """Rows read as the database owner (what really is in the tables)."""
    connection = await asyncpg.connect(libpq_database_url(database_url))
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()
