"""Fixtures of seed 004's payment-link invoices: products, payment accounts and API keys."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

API = "/api/v1/payments/invoices"
ADMIN = "/api/v1/admin"


@dataclass(frozen=True, slots=True)
class Merchant:
    """An API key and the tenant it bills (None for the operator's key)."""

    secret: str
    tenant_id: str | None

    def headers(self, *, alias: bool = False) -> dict[str, str]:
        """Bearer, or the seed's ``irembopay-secretKey`` header."""
        if alias:
            return {"irembopay-secretKey": self.secret, "X-API-Version": "2"}
        return {"Authorization": f"Bearer {self.secret}"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def create_product(factory: Factory, **fields: Any) -> Any:
    body = {
        "code": unique("P"),
        "name": "Water bill",
        "unit_price": "1500.00",
        "currency": "KES",
        **fields,
    }
    return await factory.post(f"{ADMIN}/products", body, factory.tokens.admin())


async def create_account(factory: Factory, **fields: Any) -> Any:
    body = {
        "identifier": unique("ACC"),
        "name": "Main KES account",
        "currency": "KES",
        "accepted_methods": ["mpesa", "pesapal", "bank", "cash_on_delivery"],
        **fields,
    }
    return await factory.post(f"{ADMIN}/payment-accounts", body, factory.tokens.admin())


async def create_key(
    client: httpx.AsyncClient, tokens: Tokens, *, tenant_id: str | None, scopes: list[str]
) -> Merchant:
    body: dict[str, Any] = {"name": unique("key"), "scopes": scopes}
    if tenant_id is not None:
        body["tenant_id"] = tenant_id
    response = await client.post("/api/v1/admin/api-keys", json=body, headers=tokens.admin())
    assert response.status_code == 201, response.text
    return Merchant(secret=response.json()["data"]["secret"], tenant_id=tenant_id)


LINK_SETTINGS: dict[str, Any] = {
    "enable_mpesa": True,
    "enable_pesapal": True,
    "enable_stripe": True,
    "enable_mollie": True,
    "enable_bank_payments": True,
    "enable_cash_on_delivery": True,
    "enabled_currencies": ["EUR", "KES", "RWF"],
    "default_tax_rate": "16.00",
    "timezone": "UTC",
}


@pytest.fixture(autouse=True)
async def link_settings(factory: Factory) -> AsyncIterator[None]:
    # Put back afterwards: other modules on the same worker match on the enabled methods.
    before = await factory.put_settings()
    await factory.put_settings(**LINK_SETTINGS)
    yield
    await factory.put_settings(**{key: before[key] for key in LINK_SETTINGS})


@pytest.fixture
async def tenant(factory: Factory) -> Any:
    return await factory.create_tenant(default_currency="KES", country_code="KE")


@pytest.fixture
async def product(factory: Factory) -> Any:
    return await create_product(factory)


@pytest.fixture
async def account(factory: Factory) -> Any:
    return await create_account(factory)


@pytest.fixture
async def operator(client: httpx.AsyncClient, tokens: Tokens) -> Merchant:
    return await create_key(
        client, tokens, tenant_id=None, scopes=["invoices:read", "invoices:write"]
    )


@pytest.fixture
async def tenant_key(client: httpx.AsyncClient, tokens: Tokens, tenant: Any) -> Merchant:
    return await create_key(
        client, tokens, tenant_id=tenant["id"], scopes=["billing:read", "billing:write"]
    )


def body_for(tenant: Any, product: Any, account: Any, **fields: Any) -> dict[str, Any]:
    """A valid create body of one product, on the operator's key (names the tenant)."""
    body: dict[str, Any] = {
        "transactionId": unique("TX"),
        "paymentItems": [{"code": product["code"], "quantity": 2, "unitAmount": 1500}],
        "paymentAccountIdentifier": account["identifier"],
        "tenantId": tenant["id"],
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}
