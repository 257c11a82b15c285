"""The billing cycle over due subscriptions, and the upcoming invoice.

* ``billing cycle`` over N subscriptions whose trial ends today (default 10,000): each is
  advanced, its first period billed and an invoice issued (number, lines, totals, wallet),
  in one runner, sequentially; invoices per second beside ``POST /admin/invoices`` (an issued
  one-line invoice) measured in the same run.
* ``GET /billing/upcoming`` beside ``GET /billing/invoices/{id}`` for the same tenant.

Run alone: ``python -m bench.bench_subscriptions [--subscriptions N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from bench.harness import Result, measure, print_table, scratch_database
from billing.auth.principal import Role
from billing.auth.tokens import mint_token
from billing.config import Settings
from billing.core.db import Database, libpq_database_url
from billing.core.logging import configure_logging
from billing.main import create_app
from billing.providers.http import build_http_client
from billing.providers.registry import ProviderFactory, ProviderSettings
from billing.subscriptions.cycle import CycleContext, run_cycle

SELLER = {"legal_name": "Bench Operator", "country_code": "KE", "vat_id": "KE0123456789"}

SUBSCRIPTIONS = """
INSERT INTO subscriptions (tenant_id, id, status, currency, interval, interval_count,
    billing_timing, collection_method, start_date, billing_anchor_day, billing_anchor,
    trial_end, current_period_start, current_period_end, cancel_at_period_end, created_at,
    updated_at)
SELECT $1::uuid, gen_random_uuid(), 'trialing', 'EUR', 'month', 1, 'in_advance',
       'send_invoice', $2::date - 30, extract(day FROM $2::date)::int, $2::date, $2::date,
       $2::date - 30, $2::date, false, now(), now()
FROM generate_series(1, $3::int)
"""

ITEMS = """
INSERT INTO subscription_items (tenant_id, id, subscription_id, price_id, quantity, position,
    created_at, updated_at)
SELECT s.tenant_id, gen_random_uuid(), s.id, $2::uuid, 3, 0, now(), now()
FROM subscriptions s WHERE s.tenant_id = $1::uuid
"""


async def _call(
    client: httpx.AsyncClient, method: str, path: str, headers: Any, body: Any = None
) -> Any:
    response = await client.request(method, path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()["data"]


async def run(url: str, *, seconds: float, subscriptions: int = 10_000) -> list[Result]:
    """Seed, then time the cycle and the upcoming invoice beside their baselines."""
    settings = Settings(database_url=url, environment="test", log_json=False)
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
            # A renewal day of 10,000 invoices outgrows the daily-letter series (its letters grow
            # by one every 26 numbers, past the 64 characters of a number after ~1,250).
            {
                "seller": SELLER,
                "enabled_currencies": ["EUR"],
                "timezone": "UTC",
                "numbering_series": "yearly_sequence",
            },
        )
        tenant = await _call(
            client, "POST", "/api/v1/admin/tenants", admin, {"name": "Bench", "country_code": "KE"}
        )
        product = await _call(
            client,
            "POST",
            "/api/v1/admin/products",
            admin,
            {"code": "SEAT", "name": "Seat", "unit_price": "0", "currency": "EUR"},
        )
        price = await _call(
            client,
            "POST",
            "/api/v1/admin/prices",
            admin,
            {"product_id": product["id"], "unit_amount": "4.35", "interval": "month"},
        )
        today = datetime.now(UTC).date()
        connection = await asyncpg.connect(libpq_database_url(url))
        try:
            tenant_id = uuid.UUID(tenant["id"])
            await connection.execute(SUBSCRIPTIONS, tenant_id, today, subscriptions)
            await connection.execute(ITEMS, tenant_id, uuid.UUID(price["id"]))
            await connection.execute("ANALYZE")
        finally:
            await connection.close()

        # Baseline: the plain invoice-create path, an issued one-line invoice per request.
        line = {"name": "Seat", "quantity": "3", "unit_price": "4.35"}
        created = 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            await _call(
                client,
                "POST",
                "/api/v1/admin/invoices",
                admin,
                {"tenant_id": tenant["id"], "status": "issued", "items": [line]},
            )
            created += 1
        plain_rate = created / (time.perf_counter() - started)

        http = build_http_client()

        @asynccontextmanager
        async def transaction() -> AsyncIterator[AsyncSession]:
            async with database.sessionmaker() as session, session.begin():
                yield session

        context = CycleContext(transaction, ProviderFactory(ProviderSettings(), http), settings)
        started = time.perf_counter()
        report = await run_cycle(context)
        elapsed = time.perf_counter() - started
        await http.aclose()
        assert report.errors == [], report.errors[:3]
        assert report.periods_advanced == subscriptions, report
        cycle_rate = subscriptions / elapsed
        print(f"\nBilling cycle over {subscriptions:,} due subscriptions (one runner)")
        print(f"{'operation':<52} {'invoices/s':>10} {'total s':>9} {'vs baseline':>12}")
        print(f"{'POST /admin/invoices (issued, 1 line): baseline':<52} {plain_rate:>10.1f}")
        print(
            f"{'billing cycle: advance, bill, issue, check wallet':<52} {cycle_rate:>10.1f}"
            f" {elapsed:>9.1f} {plain_rate / cycle_rate:>11.2f}x"
        )

        owner = {
            "Authorization": "Bearer "
            + mint_token(
                settings,
                role=Role.TENANT_OWNER,
                subject="o",
                tenant_id=uuid.UUID(tenant["id"]),
            )
        }
        invoice = await _call(
            client,
            "POST",
            "/api/v1/admin/invoices",
            admin,
            {"tenant_id": tenant["id"], "status": "issued", "items": [line]},
        )
        # One live subscription for the tenant view: end the others' billing.
        connection = await asyncpg.connect(libpq_database_url(url))
        try:
            await connection.execute(
                "UPDATE subscriptions SET status = 'cancelled', ended_at = $2"
                " WHERE tenant_id = $1::uuid AND id <> ("
                " SELECT id FROM subscriptions WHERE tenant_id = $1::uuid ORDER BY id LIMIT 1)",
                uuid.UUID(tenant["id"]),
                today + timedelta(days=1),
            )
        finally:
            await connection.close()

        async def get(path: str) -> None:
            response = await client.get(path, headers=owner)
            assert response.status_code == 200, response.text

        baseline = await measure(
            "GET /billing/invoices/{id} (baseline)",
            lambda: get(f"/api/v1/billing/invoices/{invoice['id']}"),
            seconds=seconds,
        )
        upcoming = await measure(
            "GET /billing/upcoming (1 subscription, 1 item)",
            lambda: get("/api/v1/billing/upcoming"),
            seconds=seconds,
        )
        print_table("Upcoming invoice", [upcoming], baseline=baseline)
    await database.dispose()
    return [baseline, upcoming]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--subscriptions", type=int, default=10_000)
    args = parser.parse_args()
    configure_logging(level="WARNING")
    with scratch_database() as url:
        asyncio.run(run(url, seconds=args.seconds, subscriptions=args.subscriptions))


if __name__ == "__main__":
    main()
