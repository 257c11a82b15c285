"""The method table ``MethodGuard`` answers 405 from is built once per process from an app of its
own; it must be the table of every app the factory builds."""

from __future__ import annotations

import httpx

from billing.config import Settings
from billing.core.db import Database
from billing.core.methods import route_templates
from billing.main import create_app, method_table
from tests.fixtures.auth import Tokens


def test_the_shared_table_is_the_table_of_each_app(settings: Settings, database: Database) -> None:
    app = create_app(settings, database)
    table = route_templates(app.routes)
    assert len(table) > 100
    assert method_table() == tuple(table)


async def test_a_fresh_app_answers_405_with_every_method_of_the_path(
    settings: Settings, database: Database, tokens: Tokens
) -> None:
    app = create_app(settings, database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.patch("/api/v1/admin/invoices/pending", headers=tokens.admin())
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()["error"]["code"] == "method_not_allowed"
