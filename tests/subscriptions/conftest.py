"""Subscription tests run on a database of their own per module: the billing cycle renews every
due subscription it finds, so a module that moves the service clock must not find other
modules' subscriptions (nor leave its own to them)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from billing.config import Settings
from billing.core import clock
from billing.core.db import Database
from billing.main import create_app
from billing.providers.http import build_http_client
from billing.providers.registry import ProviderFactory, ProviderSettings
from billing.subscriptions.cycle import CycleContext
from tests.conftest import GENEROUS_RATE_LIMIT, OPERATOR_SELLER
from tests.fixtures.auth import Tokens
from tests.fixtures.database import drop_database, migrated_database
from tests.subscriptions.support import Billing


@pytest.fixture(scope="module")
def subs_database_url(server_url: str) -> Iterator[str]:
    name = f"billing_subs_{uuid.uuid4().hex[:10]}"
    url = migrated_database(server_url, name)
    yield url
    drop_database(server_url, name)


@pytest.fixture(scope="module")
def subs_settings(subs_database_url: str) -> Settings:
    return Settings(
        database_url=subs_database_url,
        environment="test",
        enable_test_routes=True,
        log_json=False,
        db_pool_size=5,
        db_max_overflow=30,
        # Tests drive hundreds of staff calls a minute; the limits have tests of their own.
        rate_limit_public=GENEROUS_RATE_LIMIT,
        rate_limit_authenticated=GENEROUS_RATE_LIMIT,
    )


@pytest.fixture(scope="module")
async def subs_database(subs_settings: Settings) -> AsyncIterator[Database]:
    assert subs_settings.database_url is not None
    database = Database.connect(
        subs_settings.database_url, role=subs_settings.app_role, pool_size=5, max_overflow=30
    )
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
def subs_app(subs_settings: Settings, subs_database: Database) -> FastAPI:
    return create_app(subs_settings, subs_database)


@pytest.fixture(scope="module")
async def http(subs_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=subs_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="module")
async def cycle_context(
    subs_settings: Settings, subs_database: Database
) -> AsyncIterator[CycleContext]:
    """The billing cycle on this module's database, as a worker runs it."""
    from contextlib import asynccontextmanager

    from sqlalchemy.ext.asyncio import AsyncSession

    @asynccontextmanager
    async def transaction() -> AsyncIterator[AsyncSession]:
        async with subs_database.sessionmaker() as session, session.begin():
            await clock.refresh(session)
            yield session

    http_client = build_http_client()
    yield CycleContext(transaction, ProviderFactory(ProviderSettings(), http_client), subs_settings)
    await http_client.aclose()


@pytest.fixture(scope="module")
async def billing(
    http: httpx.AsyncClient, tokens: Tokens, cycle_context: CycleContext
) -> AsyncIterator[Billing]:
    helper = Billing(http, tokens, cycle_context)
    await helper.put_settings(
        seller=OPERATOR_SELLER,
        enabled_currencies=["EUR", "KES", "JPY"],
        default_currency="EUR",
        default_tax_rate="16.00",
        timezone="UTC",
    )
    yield helper
    await helper.reset_clock()


@pytest.fixture
async def clock_back(billing: Billing) -> AsyncIterator[None]:
    """The test starts and ends on the wall clock (modules that use the database ask for it
    with ``pytestmark``)."""
    await billing.reset_clock()
    yield
    await billing.reset_clock()
