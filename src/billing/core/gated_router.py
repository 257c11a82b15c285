"""Routers that answer "not mine" at once for paths none of their routes can match.

FastAPI resolves included routers lazily: to route a request it asks every included router in
turn whether one of its routes matches, and a router asks each of its own routes, whatever the
path. A tenant's ``GET /api/v1/billing/invoices/{id}`` was compared with every admin route
first (about 180 templates, a fifth of the request's time in the service). A group router
that knows the full prefix it is mounted at refuses a foreign path with one string
comparison; a domain router refuses a path in which the fixed beginning of none of its routes
(``/subscriptions/`` of ``/subscriptions/{id}``) appears. Only the routes that can match are
tried, and an app builds a router's handlers only when a request could reach it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match
from starlette.types import Scope


def route_path(scope: Scope) -> str:
    """The request path below the application's ``root_path`` (what routes match against)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        return path[len(root) :]
    return path


class GatedRouter(APIRouter):
    """An ``APIRouter`` that refuses, without trying a route, a path none of its routes can
    match: one outside ``mounted_at`` (its full path prefix) when it is given, else one that
    contains the fixed beginning of none of its routes."""

    def __init__(self, *, mounted_at: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mounted_at = mounted_at.rstrip("/") if mounted_at is not None else None
        self._beginnings: tuple[int, tuple[str, ...] | None] = (-1, None)

    def owns(self, path: str) -> bool:
        """Whether a route of this router might match ``path``."""
        if self.mounted_at is not None:
            return path == self.mounted_at or path.startswith(self.mounted_at + "/")
        beginnings = self.route_beginnings()
        return beginnings is None or any(beginning in path for beginning in beginnings)

    def route_beginnings(self) -> tuple[str, ...] | None:
        """What each route's path template holds before its first parameter; ``None`` (no
        gate) when one begins with a parameter or is not a plain route.

        A path a route matches contains its beginning, wherever the router is mounted, so a
        path containing none is no route's. Read again when routes are added.
        """
        count, beginnings = self._beginnings
        if count != len(self.routes):
            beginnings = _beginnings_of(self.routes)
            self._beginnings = (len(self.routes), beginnings)
        return beginnings

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """No match without looking at a single route when none of them can match."""
        if not self.owns(route_path(scope)):
            return Match.NONE, {}
        return super().matches(scope)


def _beginnings_of(routes: list[BaseRoute]) -> tuple[str, ...] | None:
    beginnings: list[str] = []
    for route in routes:
        path = route.path if isinstance(route, APIRoute) else None
        beginning = path.split("{", 1)[0] if path else ""
        if beginning in ("", "/"):
            return None
        beginnings.append(beginning)
    return tuple(beginnings) or None
