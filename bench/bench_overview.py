"""``GET /billing/overview`` of a tenant with 10,000 invoices, beside
``GET /billing/invoices/{id}`` measured in the same run.

The tenant gets a subscription, a few invoices made through the API (one partly paid, one paid)
and clones of an issued invoice spread over the last 400 days (most of them overdue), inserted
with SQL. The overview sums them in PostgreSQL; its cost should not follow the invoice count.

Run alone: ``python -m bench.bench_overview [--invoices N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from typing import Any

import asyncpg
import httpx

from bench.harness import Result, measure, print_table, scratch_database
from billing.auth.principal import Role
from billing.auth.tokens import mint_token
from billing.config import Settings
from billing.core.db import Database, libpq_database_url
from billing.core.logging import configure_logging
from billing.main import create_app

SELLER = {"legal_name": "Bench Operator", "country_code": "KE", "vat_id": "KE0123456789"}

# Every column copied from the template except those each clone must have of its own.
_OWN = {
    "id": "gen_random_uuid()",
    "invoice_number": "t.invoice_number || '-' || n",
    "public_id": "substr(md5(random()::text || n), 1, 24)",
    "issue_date": "t.issue_date - (n % 400)",
    "due_date": "t.issue_date - (n % 400) + 14",
}


async def _call(
    client: httpx.AsyncClient, method: str, path: str, headers: Any, body: Any = None
) -> Any:
    response = await client.request(method, path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()["data"]


async def _clone(url: str, template: uuid.UUID, count: int) -> None:
    connection = await asyncpg.connect(libpq_database_url(url))
    try:
        await connection.execute("SELECT set_config('app.scope', 'admin', false)")
        columns = [
            row["column_name"]
            for row in await connection.fetch(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'invoices' AND table_schema = current_schema()"
                " ORDER BY ordinal_position"
            )
        ]
        values = ", ".join(_OWN.get(column, f"t.{column}") for column in columns)
        await connection.execute(
            f"INSERT INTO invoices ({', '.join(columns)})"
            f" SELECT {values} FROM invoices t, generate_series(1, $2::int) AS n"
            " WHERE t.id = $1",
            template,
            count,
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def run(url: str, *, seconds: float, invoices: int = 10_000) -> list[Result]:
    """Seed one tenant with ``invoices`` invoices, then time the overview beside one invoice."""
    # The limiter has its own benchmark (bench_rate_limits); here it would only refuse.
    settings = Settings(
        database_url=url, environment="test", log_json=False, rate_limit_enabled=False
    )
    database = Database.connect(url, role=settings.app_role, pool_size=3, max_overflow=0)
    app = create_app(settings, database)
    admin = {"Authorization": "Bearer " + mint_token(settings, role=Role.ADMIN, subject="b")}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench"
    ) as client:
        await _call(
            client,
            "PUT",
            "/api/v1/admin/settings",
            admin,
            {"seller": SELLER, "enabled_currencies": ["EUR"], "timezone": "UTC"},
        )
        tenant = await _call(
            client,
            "POST",
            "/api/v1/admin/tenants",
            admin,
            {"name": "Overview", "country_code": "KE", "default_currency": "EUR"},
        )
        product = await _call(
            client,
            "POST",
            "/api/v1/admin/products",
            admin,
            {"code": "PLAN", "name": "Plan", "unit_price": "0", "currency": "EUR"},
        )
        price = await _call(
            client,
            "POST",
            "/api/v1/admin/prices",
            admin,
            {"product_id": product["id"], "unit_amount": "49.00", "interval": "month"},
        )
        await _call(
            client,
            "POST",
            "/api/v1/admin/subscriptions",
            admin,
            {
                "tenant_id": tenant["id"],
                "items": [{"price_id": price["id"], "quantity": "2"}],
                "collection_method": "send_invoice",
            },
        )
        line = {"name": "Service", "quantity": "1", "unit_price": "120.00"}
        created = [
            await _call(
                client,
                "POST",
                "/api/v1/admin/invoices",
                admin,
                {"tenant_id": tenant["id"], "status": "issued", "items": [line]},
            )
            for _ in range(3)
        ]
        for invoice, amount in ((created[0], "50.00"), (created[1], created[1]["total_amount"])):
            await _call(
                client,
                "POST",
                f"/api/v1/admin/invoices/{invoice['id']}/payments",
                admin,
                {"amount": amount, "method": "bank"},
            )
        await _clone(url, uuid.UUID(created[2]["id"]), invoices - len(created) - 1)

        owner = {
            "Authorization": "Bearer "
            + mint_token(
                settings, role=Role.TENANT_OWNER, subject="o", tenant_id=uuid.UUID(tenant["id"])
            )
        }

        async def get(path: str) -> Any:
            response = await client.get(path, headers=owner)
            assert response.status_code == 200, response.text
            return response.json()["data"]

        summary = await get("/api/v1/billing/overview")
        (eur,) = summary["balances"]
        assert eur["open_count"] >= invoices - 2, eur
        baseline = await measure(
            "GET /billing/invoices/{id} (baseline)",
            lambda: get(f"/api/v1/billing/invoices/{created[0]['id']}"),
            seconds=seconds,
        )
        overview = await measure(
            f"GET /billing/overview ({invoices:,} invoices)",
            lambda: get("/api/v1/billing/overview"),
            seconds=seconds,
        )
        print_table("Billing overview", [overview], baseline=baseline)
    await database.dispose()
    return [baseline, overview]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--invoices", type=int, default=10_000)
    args = parser.parse_args()
    configure_logging(level="WARNING")
    with scratch_database() as url:
        asyncio.run(run(url, seconds=args.seconds, invoices=args.invoices))


if __name__ == "__main__":
    main()
