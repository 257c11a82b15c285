"""Fixtures of the billing profile tests: the app with the billing profile routes."""

from __future__ import annotations

import httpx
import pytest

OWN_PROFILE = "/api/v1/billing/billing-profile"


def tenant_profile(tenant_id: str) -> str:
    """The admin path of a tenant's billing profile."""
    return f"/api/v1/admin/tenants/{tenant_id}/billing-profile"


@pytest.fixture(scope="session")
def api(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The app over HTTP (the suite's shared client)."""
    return client
