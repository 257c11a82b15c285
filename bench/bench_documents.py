"""GET a stored invoice PDF through the full stack vs a bare asyncpg fetch of its stored bytes.

Also measured in the same run: the same GET answered 304 from ``If-None-Match``, and the PDF of
a draft, which is rendered on every request (the cost storage saves).
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from bench.harness import Result, measure, print_table
from billing.auth.principal import Role
from billing.auth.tokens import mint_token
from billing.config import Settings
from billing.core.db import Database, libpq_database_url
from billing.main import create_app

SELLER: dict[str, Any] = {
    "legal_name": "Nordlicht Cloud GmbH",
    "address_line1": "Hauptstraße 1",
    "postal_code": "10115",
    "city": "Berlin",
    "country_code": "DE",
    "vat_id": "DE123456789",
    "email": "billing@nordlicht.example",
    "iban": "DE89370400440532013000",
}
ITEMS = [
    {"name": f"Item {index}", "quantity": str(index), "unit_price": "9.99", "tax_rate": "19"}
    for index in range(1, 6)
]


async def run(url: str, *, seconds: float) -> list[Result]:
    """Benchmark ``GET /api/v1/admin/invoices/{id}/pdf`` of a stored document."""
    settings = Settings(database_url=url, environment="test", log_json=False)
    database = Database.connect(url, role=settings.app_role, pool_size=2, max_overflow=0)
    app = create_app(settings, database)
    headers = {"Authorization": "Bearer " + mint_token(settings, role=Role.ADMIN, subject="b")}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        saved = await client.put("/api/v1/admin/settings", headers=headers, json={"seller": SELLER})
        assert saved.status_code == 200, saved.text
        created = await client.post(
            "/api/v1/admin/tenants", headers=headers, json={"name": "B", "country_code": "DE"}
        )
        tenant_id = created.json()["data"]["id"]

        async def invoice(status: str) -> str:
            response = await client.post(
                "/api/v1/admin/invoices",
                headers=headers,
                json={"tenant_id": tenant_id, "items": ITEMS, "status": status},
            )
            assert response.status_code == 201, response.text
            return str(response.json()["data"]["id"])

        issued_id, draft_id = await invoice("issued"), await invoice("draft")
        path = f"/api/v1/admin/invoices/{issued_id}/pdf"
        first = await client.get(path, headers=headers)
        assert first.status_code == 200, first.text
        etag = first.headers["etag"]

        async def stored() -> None:
            response = await client.get(path, headers=headers)
            assert response.status_code == 200

        async def not_modified() -> None:
            response = await client.get(path, headers={**headers, "If-None-Match": etag})
            assert response.status_code == 304

        async def draft() -> None:
            response = await client.get(f"/api/v1/admin/invoices/{draft_id}/pdf", headers=headers)
            assert response.status_code == 200

        connection = await asyncpg.connect(libpq_database_url(url))
        statement = await connection.prepare(
            "SELECT content FROM invoice_documents"
            " WHERE tenant_id = $1 AND invoice_id = $2 AND format = 'pdf'"
        )

        async def bare() -> None:
            content = await statement.fetchval(uuid.UUID(tenant_id), uuid.UUID(issued_id))
            assert content == first.content

        baseline = await measure("asyncpg fetch of the stored bytes (owner)", bare, seconds=seconds)
        results = [
            await measure("GET /admin/invoices/{id}/pdf, stored", stored, seconds=seconds),
            await measure("same GET with If-None-Match (304)", not_modified, seconds=seconds),
            await measure("GET /admin/invoices/{id}/pdf, draft (renders)", draft, seconds=seconds),
        ]
        await connection.close()
    await database.dispose()
    size = len(first.content) / 1024
    print_table(f"Invoice documents: a stored {size:.0f} KiB PDF", results, baseline=baseline)
    return [baseline, *results]
