"""GET one tenant through the full stack vs a bare asyncpg fetchrow of the same row."""

from __future__ import annotations

import asyncpg
import httpx

from bench.harness import Result, measure, print_table
from billing.auth.principal import Role
from billing.auth.tokens import mint_token
from billing.config import Settings
from billing.core.db import Database, libpq_database_url
from billing.main import create_app


async def run(url: str, *, seconds: float) -> list[Result]:
    """Benchmark ``GET /api/v1/admin/tenants/{id}``."""
    settings = Settings(database_url=url, environment="test", log_json=False)
    database = Database.connect(url, role=settings.app_role, pool_size=2, max_overflow=0)
    app = create_app(settings, database)
    headers = {"Authorization": "Bearer " + mint_token(settings, role=Role.ADMIN, subject="b")}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        created = await client.post("/api/v1/admin/tenants", headers=headers, json={"name": "B"})
        tenant_id = created.json()["data"]["id"]

        async def full_stack() -> None:
            response = await client.get(f"/api/v1/admin/tenants/{tenant_id}", headers=headers)
            assert response.status_code == 200

        connection = await asyncpg.connect(libpq_database_url(url))
        statement = await connection.prepare("SELECT * FROM tenants WHERE id = $1")

        async def bare() -> None:
            assert await statement.fetchrow(tenant_id) is not None

        baseline = await measure("asyncpg fetchrow (owner, no RLS)", bare, seconds=seconds)
        result = await measure(
            "GET /admin/tenants/{id} (auth+RLS+envelope)", full_stack, seconds=seconds
        )
        await connection.close()
    await database.dispose()
    print_table("Tenants: one row by id", [result], baseline=baseline)
    return [baseline, result]
