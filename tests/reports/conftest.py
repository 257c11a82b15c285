"""The ledger read directly, as the owner with the operator's scope: the figures the reports
must equal are computed here with plain SQL, independently of the code under test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from billing.core.db import libpq_database_url
from tests.fixtures.factories import Factory


class Ledger:
    """Plain SQL over the ledger tables (row-level security opened to the operator's scope)."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def rows(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Every row of ``sql``."""
        return list(await self.connection.fetch(sql, *args))

    async def value(self, sql: str, *args: Any) -> Any:
        """The first column of the first row."""
        return await self.connection.fetchval(sql, *args)


@pytest.fixture
async def ledger(database_url: str) -> AsyncIterator[Ledger]:
    """A connection of the owner; the tables force RLS on it too, so it takes the admin scope."""
    connection = await asyncpg.connect(libpq_database_url(database_url))
    try:
        await connection.execute("SELECT set_config('app.scope', 'admin', false)")
        yield Ledger(connection)
    finally:
        await connection.close()


@pytest.fixture(autouse=True)
async def report_settings(factory: Factory) -> AsyncIterator[None]:
    """Cash and bank payments, three currencies; the settings are put back afterwards."""
    before = await factory.get_settings()
    await factory.put_settings(
        enable_cash=True,
        enable_bank_payments=True,
        default_tax_rate="16.00",
        enabled_currencies=["EUR", "KES", "USD"],
    )
    yield
    await factory.put_settings(**before)
