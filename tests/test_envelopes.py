"""Envelope shapes for success, lists, 404, 422 and 500."""

from __future__ import annotations

import uuid

import httpx
from fastapi import APIRouter, FastAPI

from billing.config import Settings
from billing.core.db import Database
from billing.main import create_app
from billing.routing import TransactionalRoute
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory


class TestEnvelopes:
    async def test_success(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant(name="Envelope GmbH")
        response = await client.get(f"/api/v1/admin/tenants/{tenant['id']}", headers=tokens.admin())
        body = response.json()
        assert set(body) == {"data", "meta"}
        assert body["data"]["name"] == "Envelope GmbH"
        assert body["meta"]["request_id"] == response.headers["x-request-id"]

    async def test_list(self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory) -> None:
        marker = uuid.uuid4().hex[:10]
        for index in range(3):
            await factory.create_tenant(name=f"{marker} {index}")
        response = await client.get(
            "/api/v1/admin/tenants",
            headers=tokens.admin(),
            params={"q": marker, "page": 2, "page_size": 2},
        )
        body = response.json()
        assert set(body) == {"data", "pagination", "meta"}
        assert len(body["data"]) == 1
        assert body["pagination"] == {
            "page": 2,
            "per_page": 2,
            "total": 3,
            "pages": 2,
            "has_next": False,
            "has_prev": True,
            "next_cursor": None,
        }

    async def test_limit_alias_and_bounds(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        ok = await client.get("/api/v1/admin/tenants", headers=tokens.admin(), params={"limit": 5})
        assert ok.json()["pagination"]["per_page"] == 5
        too_big = await client.get(
            "/api/v1/admin/tenants", headers=tokens.admin(), params={"per_page": 501}
        )
        assert too_big.status_code == 422

    async def test_not_found(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        response = await client.get(f"/api/v1/admin/tenants/{uuid.uuid4()}", headers=tokens.admin())
        assert response.status_code == 404
        body = response.json()
        assert body["error"] == {
            "code": "tenant_not_found",
            "message": "Tenant not found.",
            "details": [],
        }
        assert body["meta"]["request_id"]

    async def test_unknown_route_is_enveloped(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/nowhere")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    async def test_validation_error(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        response = await client.post(
            "/api/v1/admin/tenants",
            headers=tokens.admin(),
            json={"name": "x", "country_code": "Germany", "unexpected": 1},
        )
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        fields = {detail["field"] for detail in error["details"]}
        assert {"country_code", "unexpected"} <= fields

    async def test_malformed_json_names_the_position_not_a_field(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.post(
            "/api/v1/admin/tenants",
            headers={**tokens.admin(), "Content-Type": "application/json"},
            content=b'{"name": "x",,}',
        )
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        [detail] = error["details"]
        assert detail["field"] is None
        assert detail["type"] == "json_invalid"
        assert detail["position"] == 13
        assert detail["message"].startswith("Malformed JSON at character 13: ")
        assert error["message"] == f"Invalid request: {detail['message']}"

    async def test_malformed_path_id_is_422(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.get("/api/v1/admin/tenants/not-a-uuid", headers=tokens.admin())
        assert response.status_code == 422

    async def test_unexpected_error_is_500_without_internals(
        self, settings: Settings, database: Database
    ) -> None:
        app: FastAPI = create_app(settings, database)
        crash = APIRouter(route_class=TransactionalRoute)

        @crash.get("/crash")
        async def crash_route() -> None:
            raise RuntimeError(f"secret={settings.jwt_secret.get_secret_value()}")

        app.include_router(crash)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/crash")
        assert response.status_code == 500
        body = response.json()
        assert body["error"]["code"] == "internal_error"
        assert body["meta"]["request_id"]
        assert settings.jwt_secret.get_secret_value() not in response.text
        assert "Traceback" not in response.text


class TestOperational:
    async def test_health_and_ready(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz")).json()["data"]["status"] == "ok"
        assert (await client.get("/readyz")).json()["data"]["status"] == "ready"

    async def test_metrics(self, client: httpx.AsyncClient) -> None:
        await client.get("/healthz")
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert "billing_http_requests_total" in response.text
        assert 'route="/healthz"' in response.text
