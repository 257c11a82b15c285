"""A list request runs a bounded number of SQL statements whatever the page size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event

from billing.core.db import Database
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory


@contextmanager
def count_statements(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)


async def test_list_statement_count_does_not_grow_with_page_size(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory, database: Database
) -> None:
    tenant = await factory.create_tenant()
    for _ in range(12):
        await factory.create_invoice(
            tenant["id"],
            items=[
                {"name": "a", "unit_price": "1"},
                {"name": "b", "unit_price": "2", "quantity": "2"},
            ],
        )
    counts = []
    for per_page in (2, 12):
        with count_statements(database) as statements:
            response = await client.get(
                "/api/v1/admin/invoices",
                headers=tokens.admin(),
                params={"tenant_id": tenant["id"], "per_page": per_page},
            )
        assert response.status_code == 200
        assert len(response.json()["data"]) == per_page
        assert all(len(item["items"]) == 2 for item in response.json()["data"])
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert counts[1] <= 8
