"""Usage metering at volume.

* Ingestion: N usage events (default 1,000,000) reported through ``POST /api/v1/usage-events``
  in batches of 1,000 with a tenant's API key (parsed, checked, deduplicated, stored with RLS),
  in events per second beside a bare ``COPY`` of the same rows (another tenant, the same
  table, indexes and constraints, as the owner) measured in the same run.
* ``GET /billing/upcoming`` and ``GET /billing/usage`` with those N events in the current
  period, p50 beside ``GET /billing/invoices/{id}`` for the same tenant.

Run alone: ``python -m bench.bench_usage [--events N] [--concurrency C]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
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
BATCH = 1000
COLUMNS = (
    "tenant_id",
    "transaction_id",
    "metric_id",
    "occurred_at",
    "received_at",
    "effective_at",
    "properties",
)


async def _call(
    client: httpx.AsyncClient, method: str, path: str, headers: Any, body: Any = None
) -> Any:
    response = await client.request(method, path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()["data"]


def _timestamps(count: int, now: datetime) -> list[datetime]:
    """``count`` instants spread over today so far (the current period of a subscription
    that started today)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    span = max((now - midnight).total_seconds() - 1, 1.0)
    return [midnight + timedelta(seconds=span * i / count) for i in range(count)]


async def run(url: str, *, seconds: float, events: int = 1_000_000, concurrency: int = 4) -> None:
    """Seed a metered subscription, ingest, COPY, then time the reads."""
    settings = Settings(
        database_url=url,
        environment="test",
        log_json=False,
        rate_limit_authenticated="100000000/minute",
    )
    database = Database.connect(url, role=settings.app_role, pool_size=concurrency + 2)
    app = create_app(settings, database)
    admin = {"Authorization": "Bearer " + mint_token(settings, role=Role.ADMIN, subject="b")}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600
    ) as client:
        await _call(
            client,
            "PUT",
            "/api/v1/admin/settings",
            admin,
            {"seller": SELLER, "enabled_currencies": ["EUR"], "timezone": "UTC"},
        )
        tenants = [
            await _call(
                client, "POST", "/api/v1/admin/tenants", admin, {"name": n, "country_code": "KE"}
            )
            for n in ("Bench API", "Bench COPY")
        ]
        metric = await _call(
            client,
            "POST",
            "/api/v1/admin/billable-metrics",
            admin,
            {"code": "api_calls", "name": "API calls", "aggregation": "count"},
        )
        product = await _call(
            client,
            "POST",
            "/api/v1/admin/products",
            admin,
            {"code": "CALLS", "name": "API calls", "unit_price": "0", "currency": "EUR"},
        )
        price = await _call(
            client,
            "POST",
            "/api/v1/admin/prices",
            admin,
            {
                "product_id": product["id"],
                "interval": "month",
                "billable_metric_id": metric["id"],
                "usage_model": "graduated",
                "tiers": [
                    {"up_to": "100000", "unit_amount": "0"},
                    {"up_to": None, "unit_amount": "0.0004"},
                ],
            },
        )
        tenant = tenants[0]
        await _call(
            client,
            "POST",
            "/api/v1/admin/subscriptions",
            admin,
            {
                "tenant_id": tenant["id"],
                "items": [{"price_id": price["id"], "quantity": "1"}],
                "collection_method": "send_invoice",
            },
        )
        key = await _call(
            client,
            "POST",
            "/api/v1/admin/api-keys",
            admin,
            {"name": "usage", "scopes": ["billing:write"], "tenant_id": tenant["id"]},
        )
        reporter = {"Authorization": f"Bearer {key['secret']}", "Content-Type": "application/json"}

        now = datetime.now(UTC)
        stamps = _timestamps(events, now)
        ids = [f"evt-{i:08d}" for i in range(events)]
        regions = ("eu", "us", "af")

        # The bare baseline: COPY of the same rows (the other tenant), 1,000 rows per COPY.
        copy_tenant = uuid.UUID(tenants[1]["id"])
        metric_id = uuid.UUID(metric["id"])
        connection = await asyncpg.connect(libpq_database_url(url))
        try:
            started = time.perf_counter()
            for offset in range(0, events, BATCH):
                rows = [
                    (
                        copy_tenant,
                        ids[i],
                        metric_id,
                        stamps[i],
                        now,
                        stamps[i],
                        json.dumps({"region": regions[i % 3]}),
                    )
                    for i in range(offset, min(events, offset + BATCH))
                ]
                await connection.copy_records_to_table(
                    "usage_events", records=rows, columns=COLUMNS
                )
            copy_elapsed = time.perf_counter() - started
        finally:
            await connection.close()

        bodies = [
            json.dumps(
                {
                    "events": [
                        {
                            "transaction_id": ids[i],
                            "code": "api_calls",
                            "timestamp": stamps[i].isoformat(),
                            "properties": {"region": regions[i % 3]},
                        }
                        for i in range(offset, min(events, offset + BATCH))
                    ]
                }
            ).encode()
            for offset in range(0, events, BATCH)
        ]
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        for body in bodies:
            queue.put_nowait(body)
        recorded = 0

        async def worker() -> None:
            nonlocal recorded
            while not queue.empty():
                body = queue.get_nowait()
                response = await client.post("/api/v1/usage-events", content=body, headers=reporter)
                assert response.status_code == 200, response.text
                recorded += response.json()["data"]["recorded"]

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        api_elapsed = time.perf_counter() - started
        assert recorded == events, recorded

        copy_rate, api_rate = events / copy_elapsed, events / api_elapsed
        print(f"\nUsage ingestion: {events:,} events in batches of {BATCH:,}")
        print(f"{'operation':<60} {'events/s':>10} {'total s':>9} {'of COPY':>8}")
        print(f"{'COPY into usage_events (owner, no API): baseline':<60} {copy_rate:>10.0f}")
        print(
            f"{f'POST /usage-events, {concurrency} concurrent, API key, RLS':<60}"
            f" {api_rate:>10.0f} {api_elapsed:>9.1f} {api_rate / copy_rate:>7.0%}"
        )

        connection = await asyncpg.connect(libpq_database_url(url))
        try:
            await connection.execute("VACUUM ANALYZE usage_events")
        finally:
            await connection.close()
        owner = {
            "Authorization": "Bearer "
            + mint_token(
                settings, role=Role.TENANT_OWNER, subject="o", tenant_id=uuid.UUID(tenant["id"])
            )
        }
        invoice = await _call(
            client,
            "POST",
            "/api/v1/admin/invoices",
            admin,
            {
                "tenant_id": tenant["id"],
                "status": "issued",
                "items": [{"name": "Seat", "quantity": "3", "unit_price": "4.35"}],
            },
        )
        usage = await _call(client, "GET", "/api/v1/billing/usage", owner)
        quantity = usage["subscriptions"][0]["metrics"][0]["quantity"]
        assert quantity == str(events), usage

        async def get(path: str) -> None:
            response = await client.get(path, headers=owner)
            assert response.status_code == 200, response.text

        baseline = await measure(
            "GET /billing/invoices/{id} (baseline)",
            lambda: get(f"/api/v1/billing/invoices/{invoice['id']}"),
            seconds=seconds,
        )
        results: list[Result] = [
            await measure(
                f"GET /billing/upcoming ({events:,} events in period)",
                lambda: get("/api/v1/billing/upcoming"),
                seconds=seconds,
            ),
            await measure(
                f"GET /billing/usage ({events:,} events in period)",
                lambda: get("/api/v1/billing/usage"),
                seconds=seconds,
            ),
        ]
        print_table("Usage reads", results, baseline=baseline)
    await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    configure_logging(level="WARNING")
    with scratch_database() as url:
        asyncio.run(
            run(url, seconds=args.seconds, events=args.events, concurrency=args.concurrency)
        )


if __name__ == "__main__":
    main()
