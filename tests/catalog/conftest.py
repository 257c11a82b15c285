"""Fixtures of the catalog tests: the app with the catalog routes, and catalog factories."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from billing.catalog.router import products_router, tax_rates_router
from billing.config import Settings
from billing.core.db import Database
from billing.main import create_app
from tests.fixtures.auth import Tokens

ADMIN_PREFIX = "/api/v1/admin"
TAX_RATES = f"{ADMIN_PREFIX}/tax-rates"
PRODUCTS = f"{ADMIN_PREFIX}/products"


@pytest.fixture(scope="session")
async def api(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app over HTTP, with the catalog routes mounted if ``billing.api`` does not yet."""
    app = create_app(settings, database)
    if not any(getattr(route, "path", None) == TAX_RATES for route in app.routes):
        app.include_router(tax_rates_router, prefix=ADMIN_PREFIX)
        app.include_router(products_router, prefix=ADMIN_PREFIX)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


class CatalogFactory:
    """``create_*`` helpers for the catalog, as an admin would call them."""

    def __init__(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        self.client = client
        self.tokens = tokens

    async def create_tax_rate(self, **fields: Any) -> Any:
        """A tax rate; 16 % standard unless told otherwise."""
        body = {"name": f"VAT {uuid.uuid4().hex[:6]}", "rate": "16", "category": "S", **fields}
        response = await self.client.post(TAX_RATES, json=body, headers=self.tokens.admin())
        assert response.status_code == 201, response.text
        return response.json()["data"]

    async def create_product(self, **fields: Any) -> Any:
        """A product with a unique code; 10.00 EUR unless told otherwise."""
        body = {
            "code": f"P-{uuid.uuid4().hex[:10]}",
            "name": "Widget",
            "unit_price": "10.00",
            "currency": "EUR",
            **fields,
        }
        response = await self.client.post(PRODUCTS, json=body, headers=self.tokens.admin())
        assert response.status_code == 201, response.text
        return response.json()["data"]


@pytest.fixture(scope="session")
def catalog(api: httpx.AsyncClient, tokens: Tokens) -> CatalogFactory:
    """Catalog factories over the API."""
    return CatalogFactory(api, tokens)
