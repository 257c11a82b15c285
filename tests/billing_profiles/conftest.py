"""Fixtures of the billing profile tests: the app with the billing profile routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from billing.billing_profiles.router import admin_router, tenant_router
from billing.config import Settings
from billing.core.db import Database
from billing.main import create_app

OWN_PROFILE = "/api/v1/billing/billing-profile"


def tenant_profile(tenant_id: str) -> str:
    """The admin path of a tenant's billing profile."""
    return f"/api/v1/admin/tenants/{tenant_id}/billing-profile"


@pytest.fixture(scope="session")
async def api(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app over HTTP, with the profile routes mounted if ``billing.api`` does not yet."""
    app = create_app(settings, database)
    if not any(getattr(route, "path", None) == OWN_PROFILE for route in app.routes):
        app.include_router(tenant_router, prefix="/api/v1/billing")
        app.include_router(admin_router, prefix="/api/v1/admin")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
