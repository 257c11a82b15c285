"""Shed load instead of queueing it.

A worker that accepts more requests than it can serve makes every request slow (they queue for
the CPU and the connection pool) until clients time out. Past ``max_in_flight`` requests in one
process, a request is answered 503 at once, in the error envelope with ``Retry-After``; a
database pool that has no free connection within its short timeout answers the same way (see
``install_overload_handlers``), never 500. Liveness and readiness probes are never shed.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.types import ASGIApp, Receive, Scope, Send

from billing.core.errors import error_response

RETRY_AFTER_SECONDS = 1
_EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})


def busy_response(message: str) -> JSONResponse:
    """503 ``service_busy`` with ``Retry-After``."""
    response = error_response(503, "service_busy", message)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class InFlightLimitMiddleware:
    """Admit at most ``limit`` concurrent HTTP requests; answer the rest 503 immediately."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _EXEMPT:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            response = busy_response("The service is at capacity; retry in a moment.")
            await response(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


async def _pool_timeout_handler(request: Request, exc: Exception) -> JSONResponse:
    return busy_response("No database connection is free; retry in a moment.")


def install_overload_handlers(app: FastAPI) -> None:
    """A pool checkout that times out is 503 ``service_busy``, not an unexpected error."""
    app.add_exception_handler(PoolTimeoutError, _pool_timeout_handler)
