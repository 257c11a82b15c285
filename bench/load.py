"""Load over real HTTP: servers as separate processes, ``wrk`` as the client.

``wrk`` (Debian package ``wrk``) drives each server with keep-alive connections; its
requests/s and latency percentiles are parsed from its ``--latency`` report.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What wrk measured for one target at one concurrency."""

    name: str
    connections: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int
    ok_per_second: float = 0.0  # 2xx and 3xx answers only: shed 503s are fast and not served


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def require_wrk() -> str:
    """The wrk binary, or exit with how to get it."""
    found = shutil.which("wrk")
    if found is None:
        sys.exit("the HTTP benchmarks need wrk: apt-get install wrk")
    return found


@contextmanager
def serve(
    command: list[str], *, port: int, env: Mapping[str, str], ready_path: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process until the block ends; wait until ``ready_path`` answers."""
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    sys.exit(f"server did not start: {command}\n{log.read().decode()[-3000:]}")
                time.sleep(0.2)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


_LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_TOTAL = re.compile(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b")
_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    name: str,
    url: str,
    *,
    connections: int,
    seconds: float,
    headers: Mapping[str, str] | None = None,
    script: str | None = None,
) -> LoadResult:
    """Run wrk against ``url`` and parse its report."""
    command = [
        require_wrk(),
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    if script is not None:
        command += ["-s", script]
    command.append(url)
    report = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    percentiles = {match[0]: _ms(match[1], match[2]) for match in _LATENCY.findall(report)}
    rate = _RATE.search(report)
    non_2xx = _NON_2XX.search(report)
    errors = _ERRORS.search(report)
    total = _TOTAL.search(report)
    failed = int(non_2xx.group(1)) if non_2xx else 0
    ok_per_second = float(rate.group(1)) if rate else 0.0
    if total:
        elapsed = (
            float(total.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[total.group(3)]
        )
        ok_per_second = (int(total.group(1)) - failed) / elapsed if elapsed else 0.0
    return LoadResult(
        name=name,
        connections=connections,
        requests_per_second=float(rate.group(1)) if rate else 0.0,
        p50_ms=percentiles.get("50", float("nan")),
        p99_ms=percentiles.get("99", float("nan")),
        non_2xx=failed,
        errors=sum(int(part) for part in errors.groups()) if errors else 0,
        ok_per_second=ok_per_second,
    )


def print_load_table(title: str, rows: list[tuple[LoadResult, LoadResult | None]]) -> None:
    """Each result beside its baseline (ratio of answered 2xx requests/s, in percent)."""
    print(f"\n{title}")
    print(
        f"{'target':<56} {'c':>4} {'2xx/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
        f" {'% of base':>10}"
    )
    for result, baseline in rows:
        ratio = (
            f"{100 * result.ok_per_second / baseline.ok_per_second:>9.1f}%"
            if baseline and baseline.ok_per_second
            else f"{'':>10}"
        )
        print(
            f"{result.name:<56} {result.connections:>4} {result.ok_per_second:>8.0f}"
            f" {result.p50_ms:>8.2f} {result.p99_ms:>8.2f} {result.non_2xx:>8} {ratio}"
        )
