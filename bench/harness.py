"""Shared benchmark plumbing: a scratch database, timing loops and the result table."""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.fixtures.database import drop_database, recreate_database

from billing.cli import run_migrations

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class Result:
    """Timings of one benchmarked operation."""

    name: str
    samples: list[float]

    @property
    def per_second(self) -> float:
        return len(self.samples) / sum(self.samples)

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(
    name: str, operation: Callable[[], Awaitable[object]], *, seconds: float = 3.0
) -> Result:
    """Run ``operation`` sequentially for about ``seconds`` after a short warm-up."""
    for _ in range(20):
        await operation()
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        await operation()
        samples.append(time.perf_counter() - started)
    return Result(name, samples)


def measure_sync(name: str, operation: Callable[[], object], *, seconds: float = 3.0) -> Result:
    """The synchronous twin of ``measure``."""
    for _ in range(5):
        operation()
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        operation()
        samples.append(time.perf_counter() - started)
    return Result(name, samples)


def print_table(title: str, results: list[Result], *, baseline: Result) -> None:
    """Print ops/s, p50, p99 and the ratio to the baseline."""
    print(f"\n{title}")
    print(f"{'operation':<52} {'ops/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'vs baseline':>12}")
    for result in [baseline, *results]:
        ratio = baseline.per_second / result.per_second
        print(
            f"{result.name:<52} {result.per_second:>10.0f} {result.percentile(0.5) * 1000:>9.3f}"
            f" {result.percentile(0.99) * 1000:>9.3f} {ratio:>11.1f}x"
        )
    mean = statistics.mean(baseline.samples) * 1000
    print(f"(baseline mean {mean:.3f} ms; ratio = how many baseline ops fit in one operation)")


@contextmanager
def scratch_database() -> Iterator[str]:
    """A migrated throw-away database on ``DATABASE_URL`` or the embedded server."""
    server_url = os.environ.get("DATABASE_URL")
    server = None
    if not server_url:
        from billing.core.embedded import start_embedded_postgres

        # Beside, never inside, the development data directory (.data): see core/embedded.py.
        server_url, server = start_embedded_postgres(ROOT / ".test-data" / "bench-pg")
    name = f"billing_bench_{uuid.uuid4().hex[:8]}"
    url = recreate_database(server_url, name)
    try:
        run_migrations(url)
        yield url
    finally:
        drop_database(server_url, name)
        if server is not None:
            server.cleanup()
