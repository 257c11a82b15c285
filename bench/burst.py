"""Overload over real HTTP: an open-loop burst above capacity, then the recovery after it.

wrk is a closed loop (a connection sends its next request when the last one is answered), so it
cannot offer more than the server serves, and it reports one latency for every status. Here
requests arrive on a fixed schedule whatever the server does (an open loop, as real clients
do), each on an idle keep-alive connection (a new one when none is idle), and every answer is
recorded with its status and its latency counted from the moment it was due (no coordinated
omission).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(slots=True)
class BurstResult:
    """Every answer of a burst: its status and latency in milliseconds."""

    offered_per_second: float
    seconds: float
    answers: list[tuple[int, float]] = field(default_factory=list)
    failures: int = 0  # connections refused or reset: no status at all
    # How late the client itself sent each request (its own lag, part of every latency): a
    # large figure says the machine could not drive the load, not that the server was slow.
    send_lag_ms: list[float] = field(default_factory=list)

    def latencies(self, status: int) -> list[float]:
        """The latencies of the answers with ``status``."""
        return [latency for code, latency in self.answers if code == status]

    def count(self, status: int) -> int:
        """How many answers had ``status``."""
        return sum(1 for code, _ in self.answers if code == status)


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (nan when there are none)."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[round(fraction * 1000) - 1]


class _Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough of the protocol."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def get(self, request: bytes) -> int:
        self.writer.write(request)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("closed by the server")
        status = int(status_line.split()[1])
        length = 0
        keep_alive = True
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                keep_alive = False
        await self.reader.readexactly(length)
        if not keep_alive:
            raise ConnectionResetError("closed after this answer")
        return status

    def close(self) -> None:
        self.writer.close()


async def _open(host: str, port: int) -> _Connection:
    reader, writer = await asyncio.open_connection(host, port)
    return _Connection(reader, writer)


def _request(host: str, path: str, headers: Mapping[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{key}: {value}" for key, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def burst(
    host: str,
    port: int,
    path: str,
    *,
    per_second: float,
    seconds: float,
    headers: Mapping[str, str],
    max_connections: int = 1024,
) -> BurstResult:
    """Offer ``per_second`` GETs of ``path`` for ``seconds``, whatever the server answers."""
    request = _request(host, path, headers)
    idle: list[_Connection] = []
    open_connections = 0
    result = BurstResult(offered_per_second=per_second, seconds=seconds)
    pending: set[asyncio.Task[None]] = set()

    async def one(due: float) -> None:
        nonlocal open_connections
        connection = idle.pop() if idle else None
        try:
            if connection is None:
                if open_connections >= max_connections:
                    result.failures += 1
                    return
                open_connections += 1
                connection = await _open(host, port)
            result.send_lag_ms.append((time.perf_counter() - due) * 1000)
            status = await connection.get(request)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            result.failures += 1
            if connection is not None:
                connection.close()
            open_connections -= 1
            return
        result.answers.append((status, (time.perf_counter() - due) * 1000))
        idle.append(connection)

    start = time.perf_counter()
    total = round(per_second * seconds)
    for index in range(total):
        due = start + index / per_second
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(due))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending, timeout=30)
    for connection in idle:
        connection.close()
    return result


async def throughput_windows(
    host: str,
    port: int,
    path: str,
    *,
    connections: int,
    seconds: float,
    window: float,
    headers: Mapping[str, str],
) -> list[float]:
    """Closed-loop requests/s of 2xx answers in consecutive windows of ``window`` seconds."""
    request = _request(host, path, headers)
    start = time.perf_counter()
    done: list[float] = []

    async def loop() -> None:
        connection = await _open(host, port)
        try:
            while time.perf_counter() - start < seconds:
                status = await connection.get(request)
                if 200 <= status < 300:
                    done.append(time.perf_counter() - start)
        finally:
            connection.close()

    await asyncio.gather(*(loop() for _ in range(connections)))
    windows = [0] * max(1, round(seconds / window))
    for moment in done:
        slot = int(moment / window)
        if slot < len(windows):
            windows[slot] += 1
    return [count / window for count in windows]
