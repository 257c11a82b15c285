"""Idempotency-Key: replay, mismatch, concurrency."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx

from billing.core.db import libpq_database_url
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

TENANTS = "/api/v1/admin/tenants"


class TestIdempotencyKey:
    async def test_same_key_same_body_replays(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        headers = {**tokens.admin(), "Idempotency-Key": uuid.uuid4().hex}
        body = {"name": f"Idem {uuid.uuid4().hex[:6]}"}
        first = await client.post(TENANTS, headers=headers, json=body)
        second = await client.post(TENANTS, headers=headers, json=body)
        assert first.status_code == second.status_code == 201
        assert second.headers["idempotent-replayed"] == "true"
        assert second.json()["data"] == first.json()["data"]

    async def test_same_key_other_body_is_409(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        headers = {**tokens.admin(), "Idempotency-Key": uuid.uuid4().hex}
        assert (await client.post(TENANTS, headers=headers, json={"name": "A"})).status_code == 201
        response = await client.post(TENANTS, headers=headers, json={"name": "B"})
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "idempotency_key_mismatch"

    async def test_keys_are_scoped_per_principal(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        key = uuid.uuid4().hex
        body = {"name": f"Scoped {key[:6]}"}
        first = await client.post(
            TENANTS, headers={**tokens.admin("alice"), "Idempotency-Key": key}, json=body
        )
        second = await client.post(
            TENANTS, headers={**tokens.admin("bob"), "Idempotency-Key": key}, json=body
        )
        assert first.status_code == second.status_code == 201
        assert first.json()["data"]["id"] != second.json()["data"]["id"]

    async def test_failed_request_does_not_consume_the_key(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        headers = {**tokens.admin(), "Idempotency-Key": uuid.uuid4().hex}
        body = {"name": "Bad reseller", "reseller_id": str(uuid.uuid4())}
        failed = await client.post(TENANTS, headers=headers, json=body)
        assert failed.status_code == 400
        retried = await client.post(TENANTS, headers=headers, json=body)
        assert retried.status_code == 400
        assert "idempotent-replayed" not in retried.headers

    async def test_invalid_key_is_422(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        headers = {**tokens.admin(), "Idempotency-Key": "x" * 300}
        response = await client.post(TENANTS, headers=headers, json={"name": "A"})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "idempotency_key_invalid"

    async def test_twenty_concurrent_duplicates_create_one_tenant(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        marker = f"Concurrent {uuid.uuid4().hex}"
        headers = {**tokens.admin(), "Idempotency-Key": uuid.uuid4().hex}
        responses = await asyncio.gather(
            *(client.post(TENANTS, headers=headers, json={"name": marker}) for _ in range(20))
        )
        assert {response.status_code for response in responses} == {201}
        assert len({response.json()["data"]["id"] for response in responses}) == 1
        assert sum("idempotent-replayed" in r.headers for r in responses) == 19
        listed = await client.get(TENANTS, headers=tokens.admin(), params={"q": marker})
        assert listed.json()["pagination"]["total"] == 1


class TestPrincipalScope:
    async def test_a_tenant_token_with_an_admins_sub_cannot_replay_an_api_key(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        key = {"Idempotency-Key": uuid.uuid4().hex}
        body = {"name": "integration", "scopes": ["invoices:read"]}
        created = await client.post(
            "/api/v1/admin/api-keys", headers={**tokens.admin("same-sub"), **key}, json=body
        )
        assert created.status_code == 201, created.text
        intruder = await client.post(
            "/api/v1/admin/api-keys",
            headers={**tokens.owner(uuid.UUID(tenant["id"]), "same-sub"), **key},
            json=body,
        )
        # Authorization runs before the key is looked at: refused, never replayed.
        assert intruder.status_code == 403
        assert "idempotent-replayed" not in intruder.headers
        assert created.json()["data"]["secret"] not in intruder.text

    async def test_the_same_key_on_another_route_is_another_key(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        key = {**tokens.admin(), "Idempotency-Key": uuid.uuid4().hex}
        tenant = await client.post(TENANTS, headers=key, json={"name": "Route A"})
        reseller = await client.post("/api/v1/admin/resellers", headers=key, json={"name": "B"})
        assert tenant.status_code == reseller.status_code == 201
        assert "idempotent-replayed" not in reseller.headers
        assert reseller.json()["data"]["id"] != tenant.json()["data"]["id"]

    async def test_stored_responses_are_encrypted_at_rest(
        self, client: httpx.AsyncClient, tokens: Tokens, database_url: str
    ) -> None:
        key = uuid.uuid4().hex
        created = await client.post(
            "/api/v1/admin/api-keys",
            headers={**tokens.admin(), "Idempotency-Key": key},
            json={"name": "secret keeper", "scopes": ["invoices:read"]},
        )
        secret = created.json()["data"]["secret"]
        connection = await asyncpg.connect(libpq_database_url(database_url))
        try:
            stored = await connection.fetchval(
                "SELECT response_body FROM idempotency_keys WHERE key = $1", key
            )
        finally:
            await connection.close()
        assert stored is not None
        assert secret.encode() not in stored
        assert b'"data"' not in stored

    async def test_an_expired_key_is_claimed_again_and_a_live_one_is_not(
        self, client: httpx.AsyncClient, tokens: Tokens, database_url: str
    ) -> None:
        key = uuid.uuid4().hex
        headers = {**tokens.admin(), "Idempotency-Key": key}
        first = await client.post(TENANTS, headers=headers, json={"name": "Before expiry"})
        assert first.status_code == 201
        refused = await client.post(TENANTS, headers=headers, json={"name": "Too early"})
        assert refused.json()["error"]["code"] == "idempotency_key_mismatch"
        connection = await asyncpg.connect(libpq_database_url(database_url))
        try:
            await connection.execute(
                "UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"
                " WHERE key = $1",
                key,
            )
            again = await client.post(TENANTS, headers=headers, json={"name": "After expiry"})
            stored = await connection.fetch(
                "SELECT status_code, created_at > now() - interval '1 hour' AS fresh"
                " FROM idempotency_keys WHERE key = $1",
                key,
            )
        finally:
            await connection.close()
        assert again.status_code == 201
        assert "idempotent-replayed" not in again.headers
        assert again.json()["data"]["id"] != first.json()["data"]["id"]
        # One row for the key, now describing the second request.
        assert [(row["status_code"], row["fresh"]) for row in stored] == [(201, True)]
        replayed = await client.post(TENANTS, headers=headers, json={"name": "After expiry"})
        assert replayed.headers["idempotent-replayed"] == "true"
        assert replayed.json()["data"]["id"] == again.json()["data"]["id"]
