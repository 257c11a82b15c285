"""Operational routes: ``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel
from sqlalchemy import text

from billing import __version__
from billing.core.envelope import ApiResponse, error_responses
from billing.core.errors import BillingError
from billing.core.gated_router import GatedRouter
from billing.core.metrics import render_metrics
from billing.core.session import Session
from billing.routing import TransactionalRoute

router = GatedRouter(tags=["health"], route_class=TransactionalRoute)


class DatabaseUnavailable(BillingError):
    """The database did not answer."""

    code = "database_unavailable"
    status_code = 503
    message = "The database is not reachable."


class HealthStatus(BaseModel):
    """Liveness or readiness."""

    status: str
    version: str


@router.get("/healthz", name="health_live")
async def healthz() -> ApiResponse[HealthStatus]:
    """Liveness: the process serves requests."""
    return ApiResponse(data=HealthStatus(status="ok", version=__version__))


@router.get("/readyz", name="health_ready", responses=error_responses(DatabaseUnavailable))
async def readyz(session: Session) -> ApiResponse[HealthStatus]:
    """Readiness: the database answers a query."""
    try:
        await session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver or network failure means not ready
        raise DatabaseUnavailable from exc
    return ApiResponse(data=HealthStatus(status="ready", version=__version__))


@router.get("/metrics", name="health_metrics", include_in_schema=False)
async def metrics() -> Response:
    """Prometheus metrics in the text exposition format."""
    body, content_type = render_metrics()
    return Response(content=body, media_type=content_type)
