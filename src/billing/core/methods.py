"""405 for a method a path does not have, with the ``Allow`` field listing every one it has.

Routing alone gets this wrong in two ways: a path served by several routes (GET, PUT and
DELETE on ``/invoices/{invoice_id}``) is answered with the methods of the first route only,
and a fixed path (``/invoices/pending``, GET) is also matched by a parameter route
(``DELETE /invoices/{invoice_id}``), so ``DELETE /invoices/pending`` runs that route and
answers 403 or 422 instead of 405. Here the first route template matching the path (the one
routing prefers) owns it, and its methods are the union over every route of that template.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from billing.core.errors import error_response


@dataclass(frozen=True, slots=True)
class Template:
    """A route template (full path) and every method its routes serve."""

    pattern: re.Pattern[str]
    methods: frozenset[str]


def route_templates(routes: Sequence[BaseRoute]) -> list[Template]:
    """Every route template (full path) in routing order, with all the methods it serves."""
    order: list[str] = []
    methods: dict[str, set[str]] = {}
    patterns: dict[str, re.Pattern[str]] = {}
    for context in iter_route_contexts(routes):
        path, served = context.path, context.methods
        if not isinstance(path, str) or not served:
            continue
        if path not in methods:
            order.append(path)
            methods[path] = set()
            patterns[path] = compile_path(path)[0]
        methods[path].update(method.upper() for method in served)
    return [Template(patterns[path], frozenset(methods[path])) for path in order]


class MethodGuard:
    """Pure ASGI: refuse an unserved method on a known path before any route runs.

    ``templates`` gives the table on the first request. Reading it from the app's own routes
    would make FastAPI build every route's handler and dependency tree, which it otherwise
    builds per router on the first request that reaches it; the application factory shares
    one table between its apps instead (``billing.main.MethodTable``). A route added to an
    app after it was built is not in that table: the guard lets its requests through to
    routing, which answers them as FastAPI does.
    """

    def __init__(self, app: ASGIApp, templates: Callable[[], Sequence[Template]]) -> None:
        self.app = app
        self._table = templates
        self._templates: Sequence[Template] | None = None

    def _owner(self, path: str) -> Template | None:
        if self._templates is None:
            self._templates = self._table()
        return next((t for t in self._templates if t.pattern.match(path)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            owner = self._owner(scope["path"])
            if owner is not None and scope["method"].upper() not in owner.methods:
                allowed = ", ".join(sorted(owner.methods))
                response = error_response(
                    405,
                    "method_not_allowed",
                    f"{scope['method']} is not allowed here; this path takes {allowed}.",
                    headers={"Allow": allowed},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
