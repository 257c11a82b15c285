"""The route class every API router uses: one transaction per request, committed before the
response is sent, with the ``Idempotency-Key`` claimed inside that same transaction.

FastAPI's dependency exits run around serialization, so we take the session boundary into the
route handler itself: the serialized response is in hand when we commit, which lets us store it
as the idempotent replay atomically with the effect it describes.

The key is claimed by a wrapper around the endpoint, that is after every dependency (the
principal, its scope, its permissions, path lookups) has been resolved: a request that is
refused never claims a key, and so can never be answered with somebody else's response.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from typing import Any, ClassVar, Protocol

from fastapi import Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from billing.config import Settings
from billing.core import clock
from billing.core.crypto import encryptor_for
from billing.core.errors import NotFound, Unprocessable
from billing.core.gated_router import GatedRouter
from billing.core.network import client_address
from billing.core.text import text_problem
from billing.idempotency import IdempotentReplay, claim, store_response

_current_request: ContextVar[Request | None] = ContextVar("current_request", default=None)


class IdempotencyPrincipal(Protocol):
    """What the route needs of an authenticated caller to scope its keys."""

    @property
    def scope_key(self) -> str:
        """Kind, role, tenant or reseller, and subject, in one string."""
        ...


def principal_scope_key(request: Request, settings: Settings) -> str:
    """Whose keys these are: the authenticated principal, else the anonymous caller's address."""
    principal: IdempotencyPrincipal | None = getattr(request.state, "principal", None)
    if principal is not None:
        return principal.scope_key
    return f"anonymous:{client_address(request, settings.trusted_proxy_networks) or '-'}"


def _claiming(endpoint: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(endpoint)
    async def claim_then_run(*args: Any, **kwargs: Any) -> Any:
        request = _current_request.get()
        if request is not None:
            settings: Settings = request.app.state.settings
            request.state.idempotency_claim = await claim(
                request.state.session,
                request,
                principal_key=principal_scope_key(request, settings),
                ttl_hours=settings.idempotency_ttl_hours,
                encryptor=encryptor_for(settings.encryption_key_list),
            )
        return await endpoint(*args, **kwargs)

    return claim_then_run


_LENIENT_QUERY = "__billing_lenient_query__"


def accepts_any_query(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a route whose callers add query parameters of their own (a provider redirecting
    a payer's browser back): parameters it does not declare are ignored, not refused."""
    setattr(endpoint, _LENIENT_QUERY, True)
    return endpoint


def declared_query_names(dependant: Dependant) -> frozenset[str]:
    """Every query parameter a route reads, through all of its dependencies, by wire name."""
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        names.update(param.alias for param in current.query_params)
        pending.extend(current.dependencies)
    return frozenset(names)


def request_problems(
    request: Request, allowed_query: frozenset[str] | None
) -> list[dict[str, Any]]:
    """What is wrong with the query string and path of a request before any of it is used:
    parameters the route does not know (when ``allowed_query`` is given), and control
    characters in any parameter value."""
    problems: list[dict[str, Any]] = []
    for name, value in request.query_params.multi_items():
        if allowed_query is not None and name not in allowed_query:
            problems.append(
                {
                    "loc": ["query", name],
                    "field": name,
                    "message": "unknown query parameter"
                    + (
                        f"; this route takes {', '.join(sorted(allowed_query))}"
                        if allowed_query
                        else ""
                    ),
                    "type": "unknown_parameter",
                }
            )
            continue
        problem = text_problem(value) or text_problem(name)
        if problem is not None:
            problems.append(
                {"loc": ["query", name], "field": name, "message": problem, "type": "text_invalid"}
            )
    for name, value in request.path_params.items():
        problem = text_problem(value) if isinstance(value, str) else None
        if problem is not None:
            problems.append(
                {"loc": ["path", name], "field": name, "message": problem, "type": "text_invalid"}
            )
    return problems


class TransactionalRoute(APIRoute):
    """An ``APIRoute`` whose handler runs inside one database transaction.

    * the session lives in ``request.state.session`` (``billing.core.session.Session`` reads it);
    * success: the idempotency record (if any) is completed, then COMMIT, then the response;
    * any exception: ROLLBACK and re-raise for the error handlers, so nothing is half-written;
    * POST routes claim the ``Idempotency-Key`` header once their dependencies have passed;
    * query parameters the route does not declare answer 422 (a misspelt filter must not
      silently list everything), and so do control characters in the query or path.
    """

    claims_idempotency: ClassVar[bool] = True
    lenient_query: ClassVar[bool] = False

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {method.upper() for method in kwargs.get("methods") or ()}
        lenient = self.lenient_query or getattr(endpoint, _LENIENT_QUERY, False)
        if "POST" in methods and self.claims_idempotency:
            endpoint = _claiming(endpoint)
        super().__init__(path, endpoint, **kwargs)
        self.allowed_query: frozenset[str] | None = (
            None if lenient else declared_query_names(self.dependant)
        )

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler in the transaction."""
        handler = super().get_route_handler()

        async def transactional_handler(request: Request) -> Response:
            problems = request_problems(request, self.allowed_query)
            if problems:
                summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
                raise Unprocessable(f"Invalid request: {summary}", details=problems)
            database = request.app.state.database
            async with database.sessionmaker() as session:
                request.state.session = session
                if request.app.state.settings.enable_test_routes:
                    # Tests may have moved the service clock from another process.
                    await clock.refresh(session)
                token = _current_request.set(request)
                try:
                    response = await handler(request)
                except IdempotentReplay as replay:
                    await session.rollback()
                    return replay.response
                except BaseException:
                    await session.rollback()
                    raise
                finally:
                    _current_request.reset(token)
                claim_ = getattr(request.state, "idempotency_claim", None)
                if claim_ is not None:
                    await store_response(session, claim_, response)
                await session.commit()
                return response

        return transactional_handler


class WebhookRoute(TransactionalRoute):
    """A transactional route for provider deliveries: they dedupe by their own ids (the
    inbox), not by ``Idempotency-Key``."""

    claims_idempotency = False
    # Providers add parameters of their own to the URLs we register (and may add more).
    lenient_query = True


async def require_test_routes(request: Request) -> None:
    """404 unless ``BILLING_ENABLE_TEST_ROUTES``: otherwise the development routes do not exist."""
    if not request.app.state.settings.enable_test_routes:
        raise NotFound


def development_router() -> GatedRouter:
    """A router of development-only routes under ``/test``: left out of the schema, 404
    unless test routes are enabled."""
    return GatedRouter(
        prefix="/test",
        tags=["development"],
        route_class=WebhookRoute,
        include_in_schema=False,
        dependencies=[Depends(require_test_routes)],
    )
