"""A deadlock between two transactions is recognised as worth running again."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from billing.core.db import async_database_url, is_transient


async def test_a_real_deadlock_is_transient_and_other_errors_are_not(database_url: str) -> None:
    engine = create_async_engine(async_database_url(database_url))
    try:
        async with engine.begin() as setup:
            await setup.execute(text("DROP TABLE IF EXISTS transient_probe"))
            await setup.execute(text("CREATE TABLE transient_probe (id int PRIMARY KEY, n int)"))
            await setup.execute(text("INSERT INTO transient_probe VALUES (1, 0), (2, 0)"))
        both_hold_one = asyncio.Barrier(2)

        async def cross(connection: AsyncConnection, first: int, second: int) -> None:
            async with connection.begin():
                await connection.execute(
                    text("UPDATE transient_probe SET n = n + 1 WHERE id = :id"), {"id": first}
                )
                await both_hold_one.wait()
                await connection.execute(
                    text("UPDATE transient_probe SET n = n + 1 WHERE id = :id"), {"id": second}
                )

        async with engine.connect() as one, engine.connect() as two:
            outcomes = await asyncio.gather(
                cross(one, 1, 2), cross(two, 2, 1), return_exceptions=True
            )
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        assert len(failures) == 1  # PostgreSQL rolled one back and let the other commit
        assert isinstance(failures[0], DBAPIError)
        assert is_transient(failures[0])

        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as duplicate:
                await connection.execute(text("INSERT INTO transient_probe VALUES (1, 0)"))
        assert not is_transient(duplicate.value)
        assert not is_transient(ValueError("not a database error"))
    finally:
        async with engine.begin() as cleanup:
            await cleanup.execute(text("DROP TABLE IF EXISTS transient_probe"))
        await engine.dispose()
