"""Shed load instead of queueing it.

A worker that accepts more requests than it can serve makes every request slow (they queue for
the CPU and the connection pool) until clients time out. Past ``max_in_flight`` requests in one
process, a request is answered 503 at once, in the error envelope with ``Retry-After``; a
database pool that has no free connection within its short timeout answers the same way (see
``install_overload_handlers``), never 500. Liveness and readiness probes are never shed.

A count of requests is not enough on its own: when more requests arrive than one core can
serve, even the refusals queue behind the admitted work for the event loop, and every answer,
503s included, comes seconds late. So the process also watches its event loop: a timer that
should fire every few milliseconds and fires late says that the loop is behind. While it is
behind by more than ``max_loop_lag_ms``, new requests beyond a few are refused at once, which
gives the loop back the time it needs to answer everything it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.types import ASGIApp, Receive, Scope, Send

from billing.core.errors import error_response
from billing.core.metrics import LOOP_LAG, SHED

RETRY_AFTER_SECONDS = 1
_EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})


def busy_response(message: str) -> JSONResponse:
    """503 ``service_busy`` with ``Retry-After``."""
    response = error_response(503, "service_busy", message)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class LoopLag:
    """How late the event loop runs a timer: the loop's own measure of being behind.

    Smoothed over the last few timers, so that one slow callback (a garbage collection, a
    large JSON body) does not refuse requests; a loop that stays behind does.
    """

    INTERVAL_SECONDS = 0.005
    SMOOTHING = 0.25  # weight of the newest measurement

    def __init__(self) -> None:
        self.seconds = 0.0

    def record(self, late: float) -> None:
        """Fold one measurement (seconds late, never negative) into the smoothed lag."""
        self.seconds += self.SMOOTHING * (max(0.0, late) - self.seconds)
        LOOP_LAG.set(self.seconds)

    async def watch(self) -> None:
        """Measure until cancelled (the application's lifespan runs it)."""
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.INTERVAL_SECONDS
            await asyncio.sleep(self.INTERVAL_SECONDS)
            self.record(loop.time() - due)

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        """Watch the running loop for the duration of the block."""
        task = asyncio.create_task(self.watch(), name="loop-lag")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.seconds = 0.0


class InFlightLimitMiddleware:
    """Admit at most ``limit`` concurrent HTTP requests, and no more than ``floor`` while the
    event loop lags by more than ``max_lag_seconds``; answer the rest 503.

    A request that finds every slot taken may wait ``admission_wait_seconds`` for one (no
    more than ``limit`` requests wait at once): a busy process frees a slot every few
    milliseconds, so a client one beyond the limit is served instead of refused, while a
    burst far beyond it is still answered 503 within that wait.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        admission_wait_seconds: float = 0.0,
        lag: LoopLag | None = None,
        max_lag_seconds: float = 0.0,
        floor: int = 8,
    ) -> None:
        self.app = app
        self.limit = limit
        self.admission_wait_seconds = admission_wait_seconds
        self.lag = lag
        self.max_lag_seconds = max_lag_seconds
        self.floor = floor
        self.in_flight = 0
        self.waiting = 0
        self._slots = asyncio.Semaphore(limit)

    def _lagging(self) -> bool:
        return (
            self.lag is not None
            and self.max_lag_seconds > 0
            and self.in_flight >= self.floor
            and self.lag.seconds > self.max_lag_seconds
        )

    async def _admit(self) -> str | None:
        """Take a slot, or say why the request is refused (``None``: admitted)."""
        if self._lagging():
            return "loop_lag"
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot: taken without suspending
            return None
        if self.admission_wait_seconds <= 0 or self.waiting >= self.limit:
            return "in_flight"
        self.waiting += 1
        try:
            async with asyncio.timeout(self.admission_wait_seconds):
                await self._slots.acquire()
        except TimeoutError:
            return "in_flight"
        finally:
            self.waiting -= 1
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _EXEMPT:
            await self.app(scope, receive, send)
            return
        refusal = await self._admit()
        if refusal is not None:
            SHED.labels(refusal).inc()
            response = busy_response("The service is at capacity; retry in a moment.")
            await response(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            self._slots.release()


async def _pool_timeout_handler(request: Request, exc: Exception) -> JSONResponse:
    return busy_response("No database connection is free; retry in a moment.")


def install_overload_handlers(app: FastAPI) -> None:
    """A pool checkout that times out is 503 ``service_busy``, not an unexpected error."""
    app.add_exception_handler(PoolTimeoutError, _pool_timeout_handler)
