"""The CLI mints tokens the service accepts."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import uuid
from pathlib import Path

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


def _python(code: str, *, path: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter; with ``path``, only on that path (no site, no .pth
    files: what an installed wheel sees) and never the checkout's ``src``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    command = [sys.executable, "-c", code]
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join(path)
        command.insert(1, "-S")
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_the_cli_loads_no_fake_provider() -> None:
    result = _python(
        "import sys, billing.cli, billing.main; "
        "print(sorted(m for m in sys.modules if m.startswith('billing_fakes')))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_dev_providers_without_the_fakes_says_where_they_come_from(tmp_path: Path) -> None:
    import billing

    # The wheel's layout: the ``billing`` package alone beside the dependencies.
    (tmp_path / "billing").symlink_to(Path(billing.__file__).parent)
    result = _python(
        "from billing.cli import app; app(['dev-providers'])",
        path=[str(tmp_path), sysconfig.get_paths()["purelib"]],
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "billing: the fake providers come with a source checkout (`pip install -e .[dev]` "
        "there); an installed billing does not ship them"
    ]
