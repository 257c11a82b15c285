"""Gated routers: a request is matched only against the routes under its own prefix, and
every route of the application stays reachable."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.responses import PlainTextResponse
from starlette.routing import Match

from billing.api import admin_router, billing_router
from billing.core.gated_router import GatedRouter, route_path

SAMPLE = "0c8f7d0e-6a51-4a6e-9a1e-3f0b1c2d3e4f"


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", SAMPLE, template)


def _full_match(app: FastAPI, method: str, path: str) -> bool:
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "app": app}
    return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)


def test_every_route_of_the_application_is_reachable(app: FastAPI) -> None:
    checked = 0
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.path, str) or not context.methods:
            continue
        for method in context.methods:
            assert _full_match(app, method, _concrete(context.path)), (method, context.path)
            checked += 1
    assert checked > 100


def test_a_gate_refuses_paths_outside_its_prefix_without_asking_its_routes() -> None:
    assert isinstance(admin_router, GatedRouter)
    assert isinstance(billing_router, GatedRouter)
    assert admin_router.owns("/api/v1/admin/invoices")
    assert admin_router.owns("/api/v1/admin")
    assert not admin_router.owns("/api/v1/administrators")
    assert not admin_router.owns(f"/api/v1/billing/invoices/{SAMPLE}")
    scope = {"type": "http", "method": "GET", "path": f"/api/v1/billing/invoices/{SAMPLE}"}
    assert admin_router.matches(scope) == (Match.NONE, {})


def test_the_route_path_is_read_below_the_root_path() -> None:
    assert route_path({"path": "/svc/api/v1/billing", "root_path": "/svc"}) == "/api/v1/billing"
    assert route_path({"path": "/api/v1/billing"}) == "/api/v1/billing"


def test_a_domain_router_refuses_paths_none_of_its_routes_can_end() -> None:
    from billing.invoices.router import admin_router as invoices_router
    from billing.subscriptions.router import admin_router as subscriptions_router

    assert isinstance(subscriptions_router, GatedRouter)
    assert subscriptions_router.owns(f"/api/v1/admin/subscriptions/{SAMPLE}/cancel")
    assert subscriptions_router.owns("/api/v1/admin/subscriptions")
    assert not subscriptions_router.owns(f"/api/v1/admin/invoices/{SAMPLE}")
    scope = {"type": "http", "method": "GET", "path": f"/api/v1/admin/invoices/{SAMPLE}"}
    assert subscriptions_router.matches(scope) == (Match.NONE, {})
    # Under the same beginning, a route of another router: the invoices' routes are not tried.
    assert invoices_router.owns(f"/api/v1/admin/invoices/{SAMPLE}")
    assert not invoices_router.owns(f"/api/v1/admin/invoices/{SAMPLE}/payments")


def test_a_router_with_a_route_that_is_not_an_api_route_has_no_gate() -> None:
    router = GatedRouter()

    @router.get("/things/{thing_id}")
    async def thing(thing_id: str) -> None:
        """A route with a parameter."""

    assert router.owns("/api/v1/things/1")
    assert not router.owns("/api/v1/things/1/more")
    assert not router.owns("/api/v1/other")
    router.add_route("/raw", lambda request: PlainTextResponse("raw"))
    assert router.route_endings() is None
    assert router.owns("/api/v1/other")
