"""Fixtures of the catalog tests: the app with the catalog routes, and catalog factories."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.fixtures.auth import Tokens

ADMIN_PREFIX = "/api/v1/admin"
TAX_RATES = f"{ADMIN_PREFIX}/tax-rates"
PRODUCTS = f"{ADMIN_PREFIX}/products"


@pytest.fixture(scope="session")
def api(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The app over HTTP (the suite's shared client)."""
    return client


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
