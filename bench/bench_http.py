"""The hot path over real HTTP: ``billing serve`` (one worker) driven by wrk, beside two bare
Starlette + asyncpg apps measured in the same run (``bench/baseline_app.py``):

(a) the same SELECTs with raw asyncpg as the owner; (b) the same inside BEGIN + set_config +
COMMIT as the application role (the least row-level security costs).

Run: ``python -m bench.bench_http`` (``make bench`` runs it too). Needs ``wrk``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx

from bench.burst import burst, percentile, throughput_windows
from bench.harness import scratch_database
from bench.load import LoadResult, free_port, print_load_table, require_wrk, serve, wrk
from billing.auth.principal import Role
from billing.auth.tokens import mint_token
from billing.config import Settings
from billing.core.db import Database, libpq_database_url
from billing.core.logging import configure_logging
from billing.main import create_app

T = TypeVar("T")

SELLER = {
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

# Invoices of one tenant for the list scenarios, inserted with SQL (the API would take hours).
MANY = """
INSERT INTO invoices (tenant_id, id, invoice_number, public_id, status, currency, issue_date,
                      due_date, subtotal, discount_amount, tax_amount, total_amount, amount_paid,
                      amount_refunded, amount_credited, customer, buyer, created_at, updated_at)
SELECT $1::uuid, gen_random_uuid(), $2 || '-' || n, $2 || n, 'issued', 'EUR',
       date '2026-01-01' + (n % 300), date '2026-01-15' + (n % 300),
       30.00, 0, 4.80, 34.80, 0, 0, 0, '{}'::jsonb, '{"name": "Bench buyer"}'::jsonb, now(), now()
FROM generate_series(1, $3::int) AS n
"""
MANY_LINES = """
INSERT INTO invoice_lines (tenant_id, id, invoice_id, position, name, quantity, unit_code,
                           unit_price, tax_rate, tax_category, line_total, created_at, updated_at)
SELECT i.tenant_id, gen_random_uuid(), i.id, p, 'Line ' || p, 1, 'C62', 15.00, 16, 'S', 15.00,
       now(), now()
FROM invoices i CROSS JOIN generate_series(1, 2) AS p WHERE i.tenant_id = $1::uuid
"""

DRAFT_LINES = 300
"""Lines of the draft whose PDF renders on every download (about 7 pages)."""

PAYMENT_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  local headers = {}
  headers["Authorization"] = "Bearer {token}"
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = "bench-" .. counter .. "-" .. math.random(1000000000)
  return wrk.format("POST", "{path}", headers, '{"amount": "0.01", "method": "bank"}')
end
"""


@dataclass(frozen=True, slots=True)
class Fixture:
    """What the scenarios read: ids, tokens and paths."""

    tenant_id: str
    invoice_id: str
    payable_id: str
    draft_id: str
    small_tenant: str
    large_tenant: str
    admin: str
    owner: str
    small_owner: str
    large_owner: str


async def prepare(url: str, *, small: int, large: int) -> Fixture:
    """Seed through the API (what must be real) and SQL (the bulk of the list scenarios)."""
    settings = Settings(database_url=url, environment="test", log_json=False)
    database = Database.connect(url, role=settings.app_role, pool_size=2, max_overflow=0)
    app = create_app(settings, database)
    admin = mint_token(settings, role=Role.ADMIN, subject="bench")
    headers = {"Authorization": f"Bearer {admin}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench"
    ) as client:
        saved = await client.put(
            "/api/v1/admin/settings",
            headers=headers,
            json={"seller": SELLER, "enable_bank_payments": True},
        )
        assert saved.status_code == 200, saved.text

        async def tenant(name: str) -> str:
            created = await client.post(
                "/api/v1/admin/tenants", headers=headers, json={"name": name, "country_code": "DE"}
            )
            assert created.status_code == 201, created.text
            return str(created.json()["data"]["id"])

        async def invoice(tenant_id: str, items: list[dict[str, str]]) -> str:
            created = await client.post(
                "/api/v1/admin/invoices",
                headers=headers,
                json={"tenant_id": tenant_id, "items": items, "status": "issued"},
            )
            assert created.status_code == 201, created.text
            return str(created.json()["data"]["id"])

        tenant_id = await tenant("Bench")
        invoice_id = await invoice(tenant_id, ITEMS)
        payable_id = await invoice(
            tenant_id, [{"name": "Capacity", "unit_price": "100000000", "tax_rate": "0"}]
        )
        stored = await client.get(f"/api/v1/admin/invoices/{invoice_id}/pdf", headers=headers)
        assert stored.status_code == 200, stored.text
        # A draft's PDF is rendered on every download: the load that must not stall the loop.
        drafted = await client.post(
            "/api/v1/admin/invoices",
            headers=headers,
            json={
                "tenant_id": tenant_id,
                "items": [
                    {"name": f"Usage {n}", "unit_price": "1.25", "tax_rate": "19"}
                    for n in range(DRAFT_LINES)
                ],
            },
        )
        assert drafted.status_code == 201, drafted.text
        draft_id = str(drafted.json()["data"]["id"])
        small_tenant, large_tenant = await tenant("Small"), await tenant("Large")
    await database.dispose()
    connection = await asyncpg.connect(libpq_database_url(url))
    try:
        for tenant_id_, count, prefix in ((small_tenant, small, "S"), (large_tenant, large, "L")):
            await connection.execute(MANY, tenant_id_, f"BENCH{prefix}", count)
            await connection.execute(MANY_LINES, tenant_id_)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()

    def owner_of(tenant: str) -> str:
        return mint_token(
            settings, role=Role.TENANT_OWNER, subject="bench", tenant_id=uuid.UUID(tenant)
        )

    return Fixture(
        tenant_id=tenant_id,
        invoice_id=invoice_id,
        payable_id=payable_id,
        draft_id=draft_id,
        small_tenant=small_tenant,
        large_tenant=large_tenant,
        admin=admin,
        owner=owner_of(tenant_id),
        small_owner=owner_of(small_tenant),
        large_owner=owner_of(large_tenant),
    )


def run(url: str, *, seconds: float, large: int, readme: Path | None = None) -> list[LoadResult]:
    """Every scenario; prints one table with the ratios to the baselines (and writes it into
    ``readme`` between the benchmark markers when given)."""
    require_wrk()
    fixture = asyncio.run(prepare(url, small=1_000, large=large))
    settings = Settings(database_url=url)
    dsn = libpq_database_url(url)
    service_port, bare_port, rls_port = free_port(), free_port(), free_port()
    service_env = {
        "DATABASE_URL": url,
        "BILLING_LOG_LEVEL": "WARNING",
        "BILLING_EMBEDDED_WORKER": "false",
        "BILLING_ENVIRONMENT": "test",
        # The hot path itself; bench_rate_limits prices the limiter beside it.
        "BILLING_RATE_LIMIT_ENABLED": "false",
    }
    python = str(Path(__import__("sys").executable))
    rows: list[tuple[LoadResult, LoadResult | None]] = []
    results: list[LoadResult] = []
    with (
        serve(
            [python, "-m", "billing.cli", "serve", "--port", str(service_port), "--workers", "1"],
            port=service_port,
            env=service_env,
            ready_path="/healthz",
        ),
        serve(
            [
                python,
                "-m",
                "uvicorn",
                "bench.baseline_app:app",
                "--port",
                str(bare_port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            port=bare_port,
            env={"BASELINE_MODE": "bare", "BASELINE_DSN": dsn},
            ready_path=f"/invoices/{fixture.invoice_id}",
        ),
        serve(
            [
                python,
                "-m",
                "uvicorn",
                "bench.baseline_app:app",
                "--port",
                str(rls_port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            port=rls_port,
            env={"BASELINE_MODE": "rls", "BASELINE_DSN": dsn, "BASELINE_ROLE": settings.app_role},
            ready_path=f"/invoices/{fixture.invoice_id}?tenant={fixture.tenant_id}",
        ),
    ):
        service = f"http://127.0.0.1:{service_port}/api/v1"
        owner = {"Authorization": f"Bearer {fixture.owner}"}
        # The served app's links follow its own port, so its PDF is stored on its first GET.
        warmed = httpx.get(
            f"{service}/billing/invoices/{fixture.invoice_id}/pdf", headers=owner, timeout=60
        )
        assert warmed.status_code == 200, warmed.text
        for connections in (1, 16, 64):
            bare = wrk(
                "(a) bare asyncpg SELECT invoice + lines",
                f"http://127.0.0.1:{bare_port}/invoices/{fixture.invoice_id}",
                connections=connections,
                seconds=seconds,
            )
            rls = wrk(
                "(b) + BEGIN, set_config, COMMIT as the app role",
                f"http://127.0.0.1:{rls_port}/invoices/{fixture.invoice_id}"
                f"?tenant={fixture.tenant_id}",
                connections=connections,
                seconds=seconds,
            )
            full = wrk(
                "GET /billing/invoices/{id}",
                f"{service}/billing/invoices/{fixture.invoice_id}",
                connections=connections,
                seconds=seconds,
                headers=owner,
            )
            rows += [(bare, None), (rls, bare), (full, bare)]
            results += [bare, rls, full]
        bare16 = next(r for r in results if r.name.startswith("(a)") and r.connections == 16)
        idle = next(r for r in results if r.name.startswith("GET /billing") and r.connections == 1)
        lists = (
            ("1,000", fixture.small_owner, "&include_total=false"),
            (f"{large:,}", fixture.large_owner, "&include_total=false"),
            (f"{large:,}, counted", fixture.large_owner, ""),
        )
        for label, token, query in lists:
            listed = wrk(
                f"GET /billing/invoices?per_page=20{query}, {label}",
                f"{service}/billing/invoices?per_page=20{query}",
                connections=1,
                seconds=seconds,
                headers={"Authorization": f"Bearer {token}"},
            )
            rows.append((listed, None))
            results.append(listed)
        contended = _while_rendering(
            f"{service}/billing/invoices/{fixture.invoice_id}",
            f"{service}/admin/invoices/{fixture.draft_id}/pdf",
            owner=owner,
            admin={"Authorization": f"Bearer {fixture.admin}"},
            seconds=seconds,
        )
        rows.append((contended, None))
        results.append(contended)
        pdf = wrk(
            "GET /billing/invoices/{id}/pdf (stored)",
            f"{service}/billing/invoices/{fixture.invoice_id}/pdf",
            connections=16,
            seconds=seconds,
            headers=owner,
        )
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(
                PAYMENT_SCRIPT.replace("{token}", fixture.admin).replace(
                    "{path}", f"/api/v1/admin/invoices/{fixture.payable_id}/payments"
                )
            )
        payment = wrk(
            "POST /admin/invoices/{id}/payments (Idempotency-Key)",
            f"http://127.0.0.1:{service_port}",
            connections=16,
            seconds=seconds,
            script=script.name,
        )
        Path(script.name).unlink()
        rows += [(pdf, bare16), (payment, bare16)]
        results += [pdf, payment]
        capacity = next(
            r for r in results if r.name.startswith("GET /billing") and r.connections == 16
        )
        overload_summary, overload = _run_client(
            _overload(
                service_port,
                f"/api/v1/billing/invoices/{fixture.invoice_id}",
                owner,
                capacity=capacity.ok_per_second,
                seconds=seconds,
            )
        )
    print_load_table("Hot path over HTTP: one worker, wrk (percent of (a) at the same c)", rows)
    small_list, large_list, _ = (r for r in results if r.name.startswith("GET /billing/invoices?"))
    by_name = {(r.name, r.connections): r for r in results}
    bare1 = by_name[("(a) bare asyncpg SELECT invoice + lines", 1)]
    get1 = by_name[("GET /billing/invoices/{id}", 1)]
    get16 = by_name[("GET /billing/invoices/{id}", 16)]
    checks = [
        (
            "GET by id, c=1, % of (a)",
            100 * get1.ok_per_second / bare1.ok_per_second,
            ">= 40 %",
        ),
        (
            "GET by id, c=16, % of (a)",
            100 * get16.ok_per_second / bare16.ok_per_second,
            ">= 40 %",
        ),
        (
            "POST payment, c=16, % of (a)",
            100 * payment.ok_per_second / bare16.ok_per_second,
            ">= 25 %",
        ),
        (
            "stored PDF, c=16, % of (a)",
            100 * pdf.ok_per_second / bare16.ok_per_second,
            ">= 40 %",
        ),
        (f"list p50 at {large:,} / at 1,000", large_list.p50_ms / small_list.p50_ms, "<= 1.5x"),
        (
            f"JSON GET p50 while 4 PDFs of {DRAFT_LINES} lines render / idle",
            contended.p50_ms / idle.p50_ms,
            "<= 2x",
        ),
        *overload,
    ]
    print("\nTargets (each figure from this run)")
    for label, value, target in checks:
        print(f"  {label:<58} {value:>9.2f}   target {target}")
    if readme is not None:
        write_section(readme, markdown_section(rows, checks, overload_summary))
        print(f"\n{readme.name}: the hot-path section is regenerated from this run")
    return results


README_START = "<!-- bench_http: start (regenerated by python -m bench.bench_http) -->"
README_END = "<!-- bench_http: end -->"


def markdown_section(
    rows: list[tuple[LoadResult, LoadResult | None]],
    checks: list[tuple[str, float, str]],
    overload_summary: str,
) -> str:
    """The run as Markdown: the load table, the targets, the overload burst and the machine."""
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} when the run ended.",
        "",
        "| target | c | 2xx/s | p50 ms | p99 ms | non-2xx | % of (a) |",
        "|---|---|---|---|---|---|---|",
    ]
    for result, baseline in rows:
        ratio = (
            f"{100 * result.ok_per_second / baseline.ok_per_second:.1f} %"
            if baseline and baseline.ok_per_second
            else ""
        )
        name = result.name.replace("|", "\\|")
        lines.append(
            f"| {name} | {result.connections} | {result.ok_per_second:,.0f} | "
            f"{result.p50_ms:.2f} | {result.p99_ms:.1f} | {result.non_2xx} | {ratio} |"
        )
    lines += ["", "| target | this run | goal |", "|---|---|---|"]
    lines += [f"| {label} | {value:,.2f} | {goal} |" for label, value, goal in checks]
    lines += ["", overload_summary + "."]
    return "\n".join(lines)


def write_section(readme: Path, section: str) -> None:
    """Replace what stands between the benchmark markers of ``readme`` with ``section``."""
    text = readme.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise SystemExit(f"{readme}: the bench_http markers are missing")
    head, tail = text[: start + len(README_START)], text[end:]
    readme.write_text(f"{head}\n{section}\n{tail}")


async def _overload(
    port: int, path: str, owner: dict[str, str], *, capacity: float, seconds: float
) -> tuple[str, list[tuple[str, float, str]]]:
    """4x the measured capacity offered open-loop, then the throughput in the seconds after."""
    result = await burst(
        "127.0.0.1", port, path, per_second=4 * capacity, seconds=seconds, headers=owner
    )
    windows = await throughput_windows(
        "127.0.0.1", port, path, connections=16, seconds=8.0, window=0.5, headers=owner
    )
    recovered = next(
        ((index + 1) * 0.5 for index, rate in enumerate(windows) if rate >= 0.9 * capacity),
        float("inf"),
    )
    admitted, shed = result.latencies(200), result.latencies(503)
    summary = (
        f"Overload: {result.offered_per_second:.0f} req/s offered for {seconds:.0f} s "
        f"(4x {capacity:.0f}): {len(admitted)} answered 200 (p99 "
        f"{percentile(admitted, 0.99):.0f} ms), {len(shed)} shed 503 (p99 "
        f"{percentile(shed, 0.99):.1f} ms), {result.count(500)} answered 500, "
        f"{result.failures} without an answer; afterwards, 2xx req/s per 0.5 s: "
        + " ".join(f"{rate:.0f}" for rate in windows)
    )
    print(f"\n{summary}")
    return summary, [
        ("overload: p99 of admitted requests, ms", percentile(admitted, 0.99), "< 1000"),
        ("overload: p99 of shed (503) requests, ms", percentile(shed, 0.99), "< 50"),
        ("overload: 500s and unanswered", result.count(500) + result.failures, "0"),
        ("overload: seconds to 90 % of capacity after the burst", recovered, "<= 5"),
    ]


def _run_client(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a load client on uvloop when it is installed: the client must not be the bottleneck."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _while_rendering(
    url: str, render_url: str, *, owner: dict[str, str], admin: dict[str, str], seconds: float
) -> LoadResult:
    """``url`` at c=1 while 4 connections download a PDF rendered on every request."""
    renders: list[LoadResult] = []
    background = threading.Thread(
        target=lambda: renders.append(
            wrk("renders", render_url, connections=4, seconds=seconds + 2, headers=admin)
        )
    )
    background.start()
    time.sleep(1.0)
    try:
        return wrk(
            f"GET /billing/invoices/{{id}} while 4 PDFs render ({DRAFT_LINES} lines)",
            url,
            connections=1,
            seconds=seconds,
            headers=owner,
        )
    finally:
        background.join()


def main() -> None:
    """Run the HTTP benchmark in a scratch database."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument(
        "--readme",
        type=Path,
        default=None,
        help="write the results into this README between the bench_http markers",
    )
    args = parser.parse_args()
    configure_logging(level="WARNING")
    with scratch_database() as url:
        run(url, seconds=args.seconds, large=args.large, readme=args.readme)


if __name__ == "__main__":
    main()
