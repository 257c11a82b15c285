"""Run every benchmark: ``python -m bench`` (``make bench``)."""

from __future__ import annotations

import argparse
import asyncio
import shutil

from bench import (
    bench_deliveries,
    bench_documents,
    bench_http,
    bench_invoices,
    bench_outbox,
    bench_overview,
    bench_payment_page,
    bench_rate_limits,
    bench_renderers,
    bench_subscriptions,
    bench_tenants,
    bench_usage,
)
from bench.harness import ROOT, scratch_database
from billing.core.logging import configure_logging


def main() -> None:
    """Parse options and run the benchmarks in one scratch database."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument(
        "--subscriptions", type=int, default=10_000, help="due subscriptions the cycle renews"
    )
    parser.add_argument(
        "--usage-events", type=int, default=1_000_000, help="usage events ingested and aggregated"
    )
    parser.add_argument(
        "--list-invoices",
        type=int,
        default=100_000,
        help="invoices of the tenant whose list "
        "must stay as fast as a tenant's with 1,000 (bench_http)",
    )
    args = parser.parse_args()
    configure_logging(level="WARNING")
    with scratch_database() as url:
        asyncio.run(bench_tenants.run(url, seconds=args.seconds))
        asyncio.run(bench_invoices.run(url, seconds=args.seconds))
        asyncio.run(bench_documents.run(url, seconds=args.seconds))
        asyncio.run(bench_deliveries.run(url, seconds=args.seconds))
        asyncio.run(bench_outbox.run(url, seconds=args.seconds))
        asyncio.run(bench_rate_limits.run(url, seconds=args.seconds))
        asyncio.run(bench_payment_page.run(url, seconds=args.seconds))
    with scratch_database() as url:
        asyncio.run(
            bench_subscriptions.run(url, seconds=args.seconds, subscriptions=args.subscriptions)
        )
    with scratch_database() as url:
        asyncio.run(bench_overview.run(url, seconds=args.seconds))
        asyncio.run(bench_usage.run(url, seconds=args.seconds, events=args.usage_events))
    # The hot path over real HTTP (wrk against `billing serve`), with the targets.
    if shutil.which("wrk"):
        with scratch_database() as url:
            bench_http.run(
                url,
                seconds=max(args.seconds, 4.0),
                large=args.list_invoices,
                readme=ROOT / "README.md",
            )
    else:
        print("\nbench_http skipped: the HTTP benchmarks need wrk (apt-get install wrk)")
    # In-process renders (no database): PDF, UBL and Factur-X beside their own baselines.
    bench_renderers.main()


if __name__ == "__main__":
    main()
