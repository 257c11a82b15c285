"""Application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import structlog
from fastapi import FastAPI

from billing import __version__
from billing.api import API_GROUPS, API_PREFIX
from billing.config import Settings, get_settings
from billing.core import heap
from billing.core.db import Database
from billing.core.errors import install_error_handlers
from billing.core.logging import RequestContextMiddleware, configure_logging
from billing.core.methods import MethodGuard, Template, route_templates
from billing.core.metrics import MetricsMiddleware
from billing.core.overload import InFlightLimitMiddleware, LoopLag, install_overload_handlers
from billing.delivery.notifier import OutboxNotifier
from billing.docs import install_docs
from billing.documents.render_pool import RenderPool
from billing.health.router import router as health_router
from billing.openapi import install_openapi, operation_id
from billing.payments.hosted.options import HostedPaymentOptions
from billing.payments.recorder import recorder as payment_recorder
from billing.providers.http import build_http_client
from billing.providers.registry import ProviderFactory, ProviderSettings
from billing.throttling import install_rate_limits
from billing.worker.embedded import embedded_worker

DESCRIPTION = """
Multi-tenant billing: invoices, payments and European e-invoices.

* Authenticate with `Authorization: Bearer <JWT or bk_ API key>` (Authorize button); routes
  marked without a lock are public.
* Every response is an envelope: `{data, meta}`, lists add `pagination`, errors are
  `{error: {code, message, details}, meta}`.
* Money, quantities and rates are decimal strings.
* Send an `Idempotency-Key` header with POST requests to make retries safe.
"""


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    providers: ProviderSettings | None = None,
    http: httpx.AsyncClient | None = None,
) -> FastAPI:
    """Build the ASGI app. The engine connects lazily; the lifespan disposes of it and of the
    shared provider HTTP client.

    Unless structlog was configured first, this configures the service's logging, which takes
    over the root logger's handlers: a program embedding the app that keeps its own logging
    configures structlog (or calls ``configure_logging``) before."""
    settings = settings or get_settings()
    if not structlog.is_configured():
        # Served by something other than ``billing serve`` (``uvicorn --factory``, a program
        # embedding the app): structlog's development defaults print tracebacks with every
        # local variable, secrets among them.
        configure_logging(level=settings.log_level, json=settings.log_json)
    http = http or build_http_client()
    if database is None:
        if not settings.database_url:
            raise RuntimeError("DATABASE_URL is not set (the CLI starts an embedded database)")
        database = Database.connect(
            settings.database_url,
            role=settings.app_role,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
            statement_cache_size=settings.db_statement_cache_size,
            echo=settings.db_echo,
        )
    render_pool = RenderPool(settings.effective_render_processes)
    loop_lag = LoopLag()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        render_pool.start()
        async with loop_lag.watching(), embedded_worker(app, settings, database):
            heap.settle()
            yield
        render_pool.shutdown()
        await http.aclose()
        await database.dispose()

    app = FastAPI(
        title="billing",
        version=__version__,
        description=DESCRIPTION,
        generate_unique_id_function=operation_id,
        lifespan=lifespan,
        # /docs is served from packaged assets (billing.docs); ReDoc would need a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.providers = ProviderFactory(providers or ProviderSettings(), http)
    # What an invoice's public page offers the payer (documents' port, payments' answer).
    app.state.payment_options = HostedPaymentOptions(app.state.providers)
    app.state.payment_recorder = payment_recorder
    # Seed 004's customer notification, queued in the delivery outbox.
    app.state.payment_link_notifier = OutboxNotifier(settings)
    app.state.render_pool = render_pool
    install_error_handlers(app)
    install_overload_handlers(app)
    app.add_middleware(MethodGuard, templates=method_table)
    install_rate_limits(app, settings)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(
        InFlightLimitMiddleware,
        limit=settings.effective_max_in_flight,
        admission_wait_seconds=settings.admission_wait_ms / 1000,
        lag=loop_lag,
        max_lag_seconds=settings.max_loop_lag_ms / 1000,
    )
    app.add_middleware(RequestContextMiddleware)
    include_routes(app)
    install_openapi(app)
    return app


def include_routes(app: FastAPI) -> None:
    """Every route the service serves, in routing order."""
    app.include_router(health_router)
    for group, prefix in API_GROUPS:
        app.include_router(group, prefix=API_PREFIX + prefix)
    install_docs(app)


class MethodTable:
    """The methods each path serves (``MethodGuard``), one table for every app of the process.

    Every app includes the same module-level routers (``include_routes``), so one table serves
    them all. Listing an app's routes makes FastAPI build every route's handler and dependency
    tree for that app (about 0.5 s), which an app otherwise builds router by router on the
    first request that reaches each; the table is therefore read from an app whose routes are
    built anyway (``billing serve`` builds its app's before serving) or, failing one, from an
    app of its own, once.
    """

    def __init__(self) -> None:
        self._templates: tuple[Template, ...] | None = None

    def __call__(self) -> tuple[Template, ...]:
        """The table (read from an app of its own on the first call when none was given)."""
        if self._templates is None:
            probe = FastAPI(docs_url=None, redoc_url=None)
            include_routes(probe)
            self._templates = tuple(route_templates(probe.routes))
        return self._templates

    def read_from(self, app: FastAPI) -> None:
        """Take the table of ``app``, building its routes."""
        self._templates = tuple(route_templates(app.routes))


method_table = MethodTable()


def create_served_app() -> FastAPI:
    """The app as ``billing serve`` runs it, in every worker process: logging configured here
    too (uvicorn's worker processes do not inherit the parent's configuration)."""
    settings = get_settings()
    configure_logging(level=settings.log_level, json=settings.log_json)
    app = create_app(settings)
    # Every route is built before the first request instead of by it: the first request
    # reaching each router would otherwise wait while its handlers are built (up to 0.5 s).
    method_table.read_from(app)
    return app
