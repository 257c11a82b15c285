"""Authentication and authorisation over HTTP."""

from __future__ import annotations

import time
import uuid

import httpx
import jwt
import pytest

from billing.auth.principal import Role
from billing.auth.tokens import mint_token, principal_from_token
from billing.config import Settings
from billing.core.errors import Unauthorized
from tests.fixtures.auth import Tokens, bearer
from tests.fixtures.factories import Factory

TENANTS = "/api/v1/admin/tenants"


class TestAuthentication:
    async def test_missing_token_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get(TENANTS)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_bad_signature_is_401(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        forged = jwt.encode(
            {"sub": "x", "role": "admin", "exp": 4102444800},
            "a-different-secret-of-sufficient-length!!",
            "HS256",
        )
        response = await client.get(TENANTS, headers=bearer(forged))
        assert response.status_code == 401
        assert response.json()["error"]["message"] == "The token is invalid."

    async def test_expired_token_is_401(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        expired = mint_token(settings, role=Role.ADMIN, subject="a", ttl_seconds=-3600)
        response = await client.get(TENANTS, headers=bearer(expired))
        assert response.status_code == 401
        assert response.json()["error"]["message"] == "The token has expired."

    async def test_garbage_scheme_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get(TENANTS, headers={"Authorization": "Basic abc"})
        assert response.status_code == 401

    async def test_tenant_token_without_tenant_claim_is_401(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        token = jwt.encode(
            {"sub": "x", "role": "tenant_owner", "exp": 4102444800},
            settings.jwt_secret.get_secret_value(),
            "HS256",
        )
        response = await client.get(TENANTS, headers=bearer(token))
        assert response.status_code == 401

    async def test_tenant_token_on_admin_route_is_403(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.get(TENANTS, headers=tokens.owner(uuid.uuid4()))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


class TestResellerScoping:
    async def test_reseller_sees_only_its_subtree(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        parent = await factory.create_reseller()
        child = await factory.create_reseller(parent_id=parent["id"])
        other = await factory.create_reseller()
        own = await factory.create_tenant(reseller_id=parent["id"])
        nested = await factory.create_tenant(reseller_id=child["id"])
        foreign = await factory.create_tenant(reseller_id=other["id"])
        unassigned = await factory.create_tenant()

        headers = tokens.reseller(parent["id"])
        listed = await client.get(TENANTS, headers=headers, params={"per_page": 500})
        assert listed.status_code == 200
        ids = {item["id"] for item in listed.json()["data"]}
        assert {own["id"], nested["id"]} <= ids
        assert foreign["id"] not in ids
        assert unassigned["id"] not in ids

        for hidden in (foreign, unassigned):
            response = await client.get(f"{TENANTS}/{hidden['id']}", headers=headers)
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "tenant_not_found"
            patched = await client.patch(
                f"{TENANTS}/{hidden['id']}", headers=headers, json={"name": "stolen"}
            )
            assert patched.status_code == 404

        # The child reseller does not see its parent's own tenant.
        child_view = await client.get(
            f"{TENANTS}/{own['id']}", headers=tokens.reseller(child["id"])
        )
        assert child_view.status_code == 404

    async def test_reseller_creates_tenants_in_its_subtree(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        reseller = await factory.create_reseller()
        other = await factory.create_reseller()
        headers = tokens.reseller(reseller["id"])
        created = await client.post(TENANTS, headers=headers, json={"name": "Sub tenant"})
        assert created.status_code == 201
        assert created.json()["data"]["reseller_id"] == reseller["id"]
        refused = await client.post(
            TENANTS, headers=headers, json={"name": "Elsewhere", "reseller_id": other["id"]}
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "reseller_not_found"

    async def test_reseller_cannot_see_other_resellers(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        mine = await factory.create_reseller()
        theirs = await factory.create_reseller()
        headers = tokens.reseller(mine["id"])
        assert (
            await client.get(f"/api/v1/admin/resellers/{mine['id']}", headers=headers)
        ).status_code == 200
        response = await client.get(f"/api/v1/admin/resellers/{theirs['id']}", headers=headers)
        assert response.status_code == 404

    async def test_reseller_cycle_is_refused(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        root = await factory.create_reseller()
        child = await factory.create_reseller(parent_id=root["id"])
        response = await client.patch(
            f"/api/v1/admin/resellers/{root['id']}",
            headers=tokens.admin(),
            json={"parent_id": child["id"]},
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "reseller_cycle"


class TestApiKeys:
    async def test_create_use_and_revoke(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        created = await client.post(
            "/api/v1/admin/api-keys",
            headers=tokens.admin(),
            json={"name": "backend", "scopes": ["tenants:read"]},
        )
        assert created.status_code == 201
        data = created.json()["data"]
        secret = data["secret"]
        assert secret.startswith("bk_")
        assert data["prefix"] == secret[:11]

        listed = await client.get("/api/v1/admin/api-keys", headers=tokens.admin())
        assert secret not in listed.text
        assert any(item["id"] == data["id"] for item in listed.json()["data"])

        readable = await client.get(TENANTS, headers=bearer(secret))
        assert readable.status_code == 200
        not_allowed = await client.post(TENANTS, headers=bearer(secret), json={"name": "x"})
        assert not_allowed.status_code == 403

        revoked = await client.delete(
            f"/api/v1/admin/api-keys/{data['id']}", headers=tokens.admin()
        )
        assert revoked.status_code == 200
        assert revoked.json()["data"]["revoked_at"] is not None
        assert (await client.get(TENANTS, headers=bearer(secret))).status_code == 401

    async def test_unknown_key_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get(TENANTS, headers=bearer("bk_" + "x" * 43))
        assert response.status_code == 401

    async def test_tenant_bound_key_refuses_admin_scopes(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        response = await client.post(
            "/api/v1/admin/api-keys",
            headers=tokens.admin(),
            json={"name": "t", "scopes": ["tenants:write"], "tenant_id": tenant["id"]},
        )
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "api_key_scopes_invalid"
        assert error["message"].startswith(
            "Scopes not allowed on a tenant-bound key: tenants:write. Allowed: "
        )
        assert "billing:read" in error["details"][0]["allowed"]
        assert error["details"][0]["refused"] == ["tenants:write"]

    @pytest.mark.parametrize("role", ["reseller"])
    async def test_only_admins_manage_keys(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, role: str
    ) -> None:
        reseller = await factory.create_reseller()
        response = await client.get(
            "/api/v1/admin/api-keys", headers=tokens.reseller(reseller["id"])
        )
        assert response.status_code == 403


class TestCommissionRate:
    async def test_a_reseller_cannot_change_commission_rates(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        reseller = await factory.create_reseller(commission_rate="10.00")
        child = await factory.create_reseller(parent_id=reseller["id"])
        headers = tokens.reseller(reseller["id"])
        own = await client.patch(
            f"/api/v1/admin/resellers/{reseller['id']}",
            headers=headers,
            json={"commission_rate": "90.00"},
        )
        assert own.status_code == 403
        assert own.json()["error"]["code"] == "commission_rate_admin_only"
        nested = await client.patch(
            f"/api/v1/admin/resellers/{child['id']}",
            headers=headers,
            json={"commission_rate": "50.00"},
        )
        assert nested.status_code == 403
        created = await client.post(
            "/api/v1/admin/resellers",
            headers=headers,
            json={"name": "Sub", "commission_rate": "30.00"},
        )
        assert created.status_code == 403
        renamed = await client.patch(
            f"/api/v1/admin/resellers/{child['id']}", headers=headers, json={"name": "Renamed"}
        )
        assert renamed.status_code == 200
        detail = await client.get(
            f"/api/v1/admin/resellers/{reseller['id']}", headers=tokens.admin()
        )
        assert detail.json()["data"]["commission_rate"] == "10.00"
        by_admin = await client.patch(
            f"/api/v1/admin/resellers/{reseller['id']}",
            headers=tokens.admin(),
            json={"commission_rate": "12.50"},
        )
        assert by_admin.json()["data"]["commission_rate"] == "12.50"


class TestVerifiedTokenMemory:
    """Verified tokens are remembered, never beyond their expiry or under other settings."""

    def test_a_remembered_token_is_refused_under_another_secret(self) -> None:
        signer = Settings(environment="test", jwt_secret="s" * 40)
        token = mint_token(signer, role=Role.ADMIN, subject="ops")
        assert principal_from_token(token, signer).subject == "ops"
        assert principal_from_token(token, signer).subject == "ops"
        other = Settings(environment="test", jwt_secret="t" * 40)
        with pytest.raises(Unauthorized):
            principal_from_token(token, other)
        audience = Settings(environment="test", jwt_secret="s" * 40, jwt_audience="billing")
        with pytest.raises(Unauthorized):
            principal_from_token(token, audience)

    def test_a_remembered_token_expires_on_time(self) -> None:
        settings = Settings(environment="test", jwt_secret="u" * 40, jwt_leeway_seconds=0)
        token = mint_token(settings, role=Role.ADMIN, subject="ops", ttl_seconds=1)
        assert principal_from_token(token, settings).subject == "ops"
        time.sleep(1.2)
        with pytest.raises(Unauthorized):
            principal_from_token(token, settings)
