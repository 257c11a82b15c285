"""List 20 invoices with their lines for one tenant, with 100,000 invoices in the table."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from bench.harness import Result, measure, print_table
from billing.auth.principal import Role
from billing.auth.tokens import mint_token
from billing.config import Settings
from billing.core.db import Database, libpq_database_url
from billing.main import create_app

TENANTS = 100
INVOICES = 100_000

SEED = """
INSERT INTO tenants (id, name, default_currency, status, created_at, updated_at)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(t), 12, '0'))::uuid, 'Bench ' || t, 'EUR',
       'active', now(), now()
FROM generate_series(1, $1::int) AS t;

INSERT INTO invoices (tenant_id, id, invoice_number, public_id, status, currency, issue_date,
                      due_date, subtotal, discount_amount, tax_amount, total_amount, amount_paid,
                      amount_refunded, amount_credited, customer, buyer, created_at, updated_at)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(1 + n % $1::int), 12, '0'))::uuid,
       gen_random_uuid(), 'BENCH-' || n, 'pub' || n, 'issued', 'EUR',
       date '2026-01-01' + (n % 300), date '2026-01-15' + (n % 300),
       30.00, 0, 4.80, 34.80, 0, 0, 0, '{}'::jsonb, '{"name": "Bench buyer"}'::jsonb, now(), now()
FROM generate_series(1, $2::int) AS n;

INSERT INTO invoice_lines (tenant_id, id, invoice_id, position, name, quantity, unit_code,
                           unit_price, tax_rate, tax_category, line_total, created_at, updated_at)
SELECT i.tenant_id, gen_random_uuid(), i.id, p, 'Line ' || p, 1, 'C62', 15.00, 16, 'S', 15.00,
       now(), now()
FROM invoices i CROSS JOIN generate_series(1, 2) AS p;
ANALYZE;
"""

BARE_INVOICES = """
SELECT * FROM invoices WHERE tenant_id = $1 ORDER BY issue_date DESC, id LIMIT 20
"""
BARE_LINES = """
SELECT * FROM invoice_lines WHERE tenant_id = $1 AND invoice_id = ANY($2::uuid[])
ORDER BY position
"""


async def seed(url: str) -> uuid.UUID:
    """100 tenants, 100,000 issued invoices, 200,000 lines."""
    connection = await asyncpg.connect(libpq_database_url(url))
    try:
        for statement in SEED.split(";\n\n"):
            if statement.strip().startswith("ANALYZE"):
                await connection.execute("ANALYZE")
                continue
            arguments = [TENANTS, INVOICES][: statement.count("$")] if "$" in statement else []
            await connection.execute(statement, *arguments)
    finally:
        await connection.close()
    return uuid.UUID("00000000-0000-4000-8000-000000000001")


async def run(url: str, *, seconds: float) -> list[Result]:
    """Benchmark the admin and tenant invoice lists against two bare asyncpg queries."""
    tenant_id = await seed(url)
    settings = Settings(database_url=url, environment="test", log_json=False)
    database = Database.connect(url, role=settings.app_role, pool_size=2, max_overflow=0)
    app = create_app(settings, database)
    admin = {"Authorization": "Bearer " + mint_token(settings, role=Role.ADMIN, subject="b")}
    owner = {
        "Authorization": "Bearer "
        + mint_token(settings, role=Role.TENANT_OWNER, subject="o", tenant_id=tenant_id)
    }
    connection = await asyncpg.connect(libpq_database_url(url))
    invoices_statement = await connection.prepare(BARE_INVOICES)
    lines_statement = await connection.prepare(BARE_LINES)

    async def bare() -> None:
        rows = await invoices_statement.fetch(tenant_id)
        await lines_statement.fetch(tenant_id, [row["id"] for row in rows])

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def admin_list() -> None:
            response = await client.get(
                "/api/v1/admin/invoices",
                headers=admin,
                params={"tenant_id": str(tenant_id), "per_page": 20},
            )
            assert response.status_code == 200
            assert len(response.json()["data"]) == 20

        async def tenant_list() -> None:
            response = await client.get(
                "/api/v1/billing/invoices", headers=owner, params={"page_size": 20}
            )
            assert response.status_code == 200

        baseline = await measure("asyncpg: 20 invoices + their lines", bare, seconds=seconds)
        results = [
            await measure(
                "GET /admin/invoices?tenant_id (20 + lines)", admin_list, seconds=seconds
            ),
            await measure(
                "GET /billing/invoices (tenant, 20 + lines)", tenant_list, seconds=seconds
            ),
        ]
    await connection.close()
    await database.dispose()
    print_table(
        f"Invoices: list 20 with lines, {INVOICES:,} in the table", results, baseline=baseline
    )
    return [baseline, *results]
