"""The baselines of the HTTP benchmark: bare Starlette apps doing the same SELECT as the
service with raw asyncpg, run under the same uvicorn as ``billing serve``.

* ``bare``: ``SELECT`` the invoice row and its lines, as the database owner (no RLS);
* ``rls``: the same, as the application role inside ``BEGIN``, ``set_config`` of the tenant
  scope and ``COMMIT``: what row-level security costs at the least.

Run with ``BASELINE_MODE`` (``bare`` or ``rls``), ``BASELINE_DSN`` and ``BASELINE_ROLE`` in the
environment: ``uvicorn bench.baseline_app:app``.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MODE = os.environ.get("BASELINE_MODE", "bare")
INVOICE = "SELECT * FROM invoices WHERE id = $1"
LINES = "SELECT * FROM invoice_lines WHERE tenant_id = $1 AND invoice_id = $2 ORDER BY position"
SCOPE = (
    "SELECT set_config('app.scope', 'tenant', true), set_config('app.tenant_id', $1, true),"
    " set_config('app.reseller_ids', '', true)"
)


def _jsonable(row: asyncpg.Record) -> dict[str, Any]:
    return {key: str(value) if value is not None else None for key, value in row.items()}


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    role = os.environ.get("BASELINE_ROLE") if MODE == "rls" else None

    async def assume_role(connection: asyncpg.Connection) -> None:
        if role:
            await connection.execute(f'SET ROLE "{role}"')

    app.state.pool = await asyncpg.create_pool(
        os.environ["BASELINE_DSN"], min_size=10, max_size=10, init=assume_role
    )
    yield
    await app.state.pool.close()


async def invoice(request: Request) -> Response:
    invoice_id = uuid.UUID(request.path_params["invoice_id"])
    tenant_id = request.query_params.get("tenant", "")
    async with request.app.state.pool.acquire() as connection:
        if MODE == "rls":
            async with connection.transaction():
                await connection.execute(SCOPE, tenant_id)
                row = await connection.fetchrow(INVOICE, invoice_id)
                lines = await connection.fetch(LINES, row["tenant_id"], invoice_id)
        else:
            row = await connection.fetchrow(INVOICE, invoice_id)
            lines = await connection.fetch(LINES, row["tenant_id"], invoice_id)
    body = {"data": {**_jsonable(row), "items": [_jsonable(line) for line in lines]}}
    return Response(json.dumps(body), media_type="application/json")


app = Starlette(routes=[Route("/invoices/{invoice_id}", invoice)], lifespan=lifespan)
