"""The CLI mints tokens the service accepts."""

from __future__ import annotations

import uuid

import httpx
from typer.testing import CliRunner

from billing.cli import app
from tests.fixtures.auth import bearer

runner = CliRunner()


async def test_token_command_mints_a_working_admin_token(client: httpx.AsyncClient) -> None:
    result = runner.invoke(app, ["token", "--role", "admin"])
    assert result.exit_code == 0
    response = await client.get("/api/v1/admin/tenants", headers=bearer(result.stdout.strip()))
    assert response.status_code == 200


def test_tenant_role_requires_a_tenant() -> None:
    result = runner.invoke(app, ["token", "--role", "tenant_owner"])
    assert result.exit_code != 0


def test_tenant_token_carries_the_tenant() -> None:
    tenant = str(uuid.uuid4())
    result = runner.invoke(app, ["token", "--role", "tenant_member", "--tenant", tenant])
    assert result.exit_code == 0
    import jwt

    claims = jwt.decode(result.stdout.strip(), options={"verify_signature": False})
    assert claims["tenant_id"] == tenant
    assert claims["role"] == "tenant_member"
