"""The CLI mints tokens the service accepts."""

from __future__ import annotations

import uuid

import httpx
import pytest
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


def test_callback_urls_carry_the_deployments_tokens() -> None:
    from billing.config import get_settings

    result = runner.invoke(app, ["callback-urls", "--base-url", "https://pay.example/"])
    assert result.exit_code == 0
    lines = dict(line.split(maxsplit=1) for line in result.stdout.strip().splitlines())
    token = get_settings().callback_token("mpesa")
    assert lines["mpesa_c2b_confirmation"] == (
        f"https://pay.example/api/v1/callbacks/mpesa/confirmation?token={token}"
    )
    assert lines["pesapal_ipn"].startswith("https://pay.example/api/v1/callbacks/pesapal/ipn/")
    assert token not in lines["pesapal_ipn"]  # one token per provider
    assert lines["stripe_webhook"] == "https://pay.example/api/v1/webhooks/stripe"


def test_generated_keys_encrypt_and_rotate() -> None:
    from billing.core.crypto import DecryptionError, Encryptor, parse_keys

    old, new = (runner.invoke(app, ["generate-key"]).stdout.strip() for _ in range(2))
    sealed = Encryptor(parse_keys(old)).encrypt(b"client_secret")
    rotated = Encryptor(parse_keys(f"{new},{old}"))
    assert rotated.decrypt(sealed) == b"client_secret"
    assert Encryptor(parse_keys(new)).encrypt(b"x") != sealed
    with pytest.raises(DecryptionError):
        Encryptor(parse_keys(new)).decrypt(sealed)
