"""Operator settings: defaults, deep merge, validation, admin only."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from billing.core.db import libpq_database_url
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

SETTINGS = "/api/v1/admin/settings"


async def test_put_merges_nested_seller_fields(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    await factory.put_settings(seller={"legal_name": "Operator GmbH", "city": "Berlin"})
    merged = await factory.put_settings(seller={"vat_id": "DE123456789"}, default_due_days=30)
    assert merged["seller"]["legal_name"] == "Operator GmbH"
    assert merged["seller"]["city"] == "Berlin"
    assert merged["seller"]["vat_id"] == "DE123456789"
    assert merged["default_due_days"] == 30
    fetched = await client.get(SETTINGS, headers=tokens.admin())
    assert fetched.json()["data"] == merged
    await factory.put_settings(default_due_days=14)


async def test_validation_errors(client: httpx.AsyncClient, tokens: Tokens) -> None:
    for body in (
        {"seller": {"country_code": "Germany"}},
        {"seller": {"peppol_scheme": "12"}},
        {"seller": {"no_such_field": 1}},
        {"timezone": "Mars/Olympus"},
        {"default_currency": "EURO"},
        {"numbering_series": "weekly"},
    ):
        response = await client.put(SETTINGS, headers=tokens.admin(), json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] in {"validation_error", "settings_invalid"}


async def test_only_admins_write(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    reseller = await factory.create_reseller()
    headers = tokens.reseller(reseller["id"])
    assert (await client.get(SETTINGS, headers=headers)).status_code == 200
    assert (await client.put(SETTINGS, headers=headers, json={})).status_code == 403
    tenant_headers = tokens.owner(uuid.uuid4())
    assert (await client.get(SETTINGS, headers=tenant_headers)).status_code == 403


async def test_settings_are_cached_per_version_and_follow_every_change(
    client: httpx.AsyncClient, tokens: Tokens, database_url: str
) -> None:
    """A change committed elsewhere (another process, plain SQL) is seen by the next request:
    the cache is keyed by the row's version, which every committed change moves."""
    first = await client.put(
        "/api/v1/admin/settings", headers=tokens.admin(), json={"default_due_days": 21}
    )
    assert first.json()["data"]["default_due_days"] == 21
    connection = await asyncpg.connect(libpq_database_url(database_url))
    try:
        await connection.execute(
            "UPDATE operator_settings SET document = jsonb_set(document, '{default_due_days}',"
            " '30') WHERE id = 1"
        )
    finally:
        await connection.close()
    seen = await client.get("/api/v1/admin/settings", headers=tokens.admin())
    assert seen.json()["data"]["default_due_days"] == 30
    back = await client.put(
        "/api/v1/admin/settings", headers=tokens.admin(), json={"default_due_days": 14}
    )
    assert back.json()["data"]["default_due_days"] == 14
