"""Routers that answer "not mine" at once for paths none of their routes can match.

FastAPI resolves included routers lazily: to route a request it asks every included router in
turn whether one of its routes matches, and a router asks each of its own routes, whatever the
path. A tenant's ``GET /api/v1/billing/invoices/{id}`` was compared with every admin route
first (about 180 templates, a fifth of the request's time in the service). A group router
that knows the full prefix it is mounted at refuses a foreign path with one string
comparison; a domain router refuses, with one regular expression, a path whose end none of its
routes' patterns matches (``/invoices/[^/]+/payments$``). Only the routes of the router that
can match are tried, and an app builds a router's handlers only when a request could reach it.
"""

from __future__ import annotations

import re
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
    match: one outside ``mounted_at`` (its full path prefix) when it is given, else one whose
    end none of its routes' patterns matches."""

    def __init__(self, *, mounted_at: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mounted_at = mounted_at.rstrip("/") if mounted_at is not None else None
        self._endings: tuple[int, re.Pattern[str] | None] = (-1, None)

    def owns(self, path: str) -> bool:
        """Whether a route of this router might match ``path``."""
        if self.mounted_at is not None:
            return path == self.mounted_at or path.startswith(self.mounted_at + "/")
        endings = self.route_endings()
        return endings is None or endings.search(path) is not None

    def route_endings(self) -> re.Pattern[str] | None:
        """One pattern of the path endings its routes match: each route's own pattern
        (``/invoices/[^/]+/payments$`` for ``/invoices/{invoice_id}/payments``) without its
        start anchor; ``None`` (no gate) when a route is not a plain API route.

        The full path a route matches is the router's mount prefix followed by what the
        route's pattern matches, so a path whose end no route's pattern matches is no route's,
        wherever the router is mounted. Read again when routes are added.
        """
        count, endings = self._endings
        if count != len(self.routes):
            endings = _endings_of(self.routes)
            self._endings = (len(self.routes), endings)
        return endings

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """No match without looking at a single route when none of them can match."""
        if not self.owns(route_path(scope)):
            return Match.NONE, {}
        return super().matches(scope)


_NAMED_GROUP = re.compile(r"\(\?P<[^>]+>")


def _endings_of(routes: list[BaseRoute]) -> re.Pattern[str] | None:
    endings: list[str] = []
    for route in routes:
        if not isinstance(route, APIRoute):
            return None
        pattern = route.path_regex.pattern
        # One alternation cannot repeat a group name: the groups only need to group.
        endings.append(_NAMED_GROUP.sub("(?:", pattern.removeprefix("^")))
    return re.compile("|".join(f"(?:{ending})" for ending in endings)) if endings else None
