"""Shared fixtures: a migrated database per worker, the app over HTTP, tokens, factories."""

from __future__ import annotations

import functools
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import httpx._transports.default as httpx_transports
import psycopg
import pytest
from fastapi import FastAPI

from billing.config import Settings
from billing.core.db import Database, libpq_database_url
from billing.core.logging import configure_logging
from billing.main import create_app
from tests.fixtures.auth import Tokens
from tests.fixtures.database import database_url, server_url
from tests.fixtures.factories import Factory

__all__ = ["database_url", "server_url"]


GENEROUS_RATE_LIMIT = "100000/minute"


def _share_the_default_tls_context() -> None:
    """Every httpx client loads the CA bundle again (about 20 ms), and the suite builds
    thousands of clients to talk plain HTTP to its fakes and servers. The default context
    (``verify=True``, no client certificate) is the same every time, so they share one."""
    create = httpx.create_ssl_context
    imported: object = vars(httpx_transports).get("create_ssl_context")
    if imported is not create:
        raise RuntimeError("httpx's transports no longer build their TLS context here")
    default = functools.cache(lambda: create())

    def create_ssl_context(
        verify: ssl.SSLContext | str | bool = True, cert: Any = None, trust_env: bool = True
    ) -> ssl.SSLContext:
        if verify is True and cert is None and trust_env:
            return default()
        return create(verify=verify, cert=cert, trust_env=trust_env)

    # The transports call the name they imported from httpx._config.
    setattr(httpx_transports, "create_ssl_context", create_ssl_context)  # noqa: B010


_share_the_default_tls_context()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the modules marked ``slow`` first. ``--dist loadfile`` gives a worker a whole module
    at a time, in collection order (``make test`` passes ``--no-loadscope-reorder``); a module
    of one 13-second test handed out last keeps the other worker idle while it runs."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="module", autouse=True)
def operator_settings_kept(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each module finds the operator settings the way the module before it found them.

    The settings are one row of the worker's database, and the modules a worker runs, and
    their order, change from run to run: a module that switches a payment method on must not
    change what a later module sees (a message listing the enabled methods, say). Synchronous,
    because the first module of a worker may be the one that creates its database.
    """
    items = [
        item
        for item in request.session.items
        if isinstance(item, pytest.Function) and item.module is request.module
    ]
    if not any("database_url" in item.fixturenames for item in items):
        yield  # the module never touches the database: nothing to keep
        return
    if any("factory" in item.fixturenames for item in items):
        # The session's factory gives the operator its seller once, when a test first asks for
        # it: here, before the snapshot, not halfway through the module and lost at its end.
        request.getfixturevalue("factory")
    url = libpq_database_url(request.getfixturevalue("database_url"))
    read = "SELECT to_jsonb(settings)::text FROM operator_settings settings"
    with psycopg.connect(url, autocommit=True) as connection:
        before = connection.execute(read).fetchone()
    yield
    # One transaction, committed when the block ends; a lock left held fails here, not hangs.
    with psycopg.connect(url, options="-c lock_timeout=10s") as connection:
        if connection.execute(read).fetchone() == before:
            return
        connection.execute("DELETE FROM operator_settings")
        if before is not None:
            (row,) = before
            connection.execute(
                "INSERT INTO operator_settings"
                " SELECT * FROM jsonb_populate_record(NULL::operator_settings, %s::jsonb)",
                (row,),
            )


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """The xdist worker id (``master`` without xdist)."""
    workerinput = getattr(request.config, "workerinput", None)
    return "master" if workerinput is None else str(workerinput["workerid"])


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    """Settings for the test app (logs as in production: JSON, warnings and up)."""
    configure_logging(level="WARNING", json=True)
    return Settings(
        database_url=database_url,
        environment="test",
        log_json=False,
        db_pool_size=5,
        db_max_overflow=30,
        # Documents render in a thread of the test process (the process pool has its own test).
        render_processes=0,
        db_pool_timeout=30.0,
        # Tests of concurrency send more requests at once than the pool holds; they wait for a
        # connection instead of being shed (tests/test_overload.py checks shedding).
        max_in_flight=256,
        # Limits stay on, so every request goes through the limiter, but high enough that
        # one test client making many calls is never refused; tests/test_rate_limits.py
        # checks the real defaults on an app of its own.
        rate_limit_public=GENEROUS_RATE_LIMIT,
        rate_limit_authenticated=GENEROUS_RATE_LIMIT,
        rate_limit_stk_phone=GENEROUS_RATE_LIMIT,
        rate_limit_stk_invoice=GENEROUS_RATE_LIMIT,
        rate_limit_cod_verify=GENEROUS_RATE_LIMIT,
    )


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    """The app's engine (assumes the unprivileged app role)."""
    assert settings.database_url is not None
    database = Database.connect(
        settings.database_url, role=settings.app_role, pool_size=5, max_overflow=30
    )
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def app(settings: Settings, database: Database) -> FastAPI:
    """The application under test."""
    return create_app(settings, database)


@pytest.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app over HTTP (ASGI transport, no network)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="session")
def tokens(settings: Settings) -> Tokens:
    """Headers for every kind of principal."""
    return Tokens(settings)


OPERATOR_SELLER = {
    "legal_name": "Test Operator Ltd",
    "country_code": "KE",
    "vat_id": "KE0123456789",
    "email": "billing@operator.example",
}
"""What any operator fills in before issuing: the EN 16931 core needs name, country and VAT id.
Kenya keeps the EU destination rules out of tests that do not ask for them."""


@pytest.fixture(scope="session")
async def factory(client: httpx.AsyncClient, tokens: Tokens) -> Factory:
    """Object factories over the API, on a database whose operator has a seller."""
    factory = Factory(client, tokens)
    await factory.put_settings(seller=OPERATOR_SELLER)
    return factory
