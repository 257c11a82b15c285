"""Development wiring: the fakes' settings file, and the job worker inside ``billing serve``."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from billing.cli import app, serve_fakes
from billing.config import Settings
from billing.devenv import (
    DEV_PORTS,
    FAKE_HOST,
    load_dev_providers_env,
    provider_variables,
    render_env,
    write_env,
)
from billing.providers.registry import ProviderSettings

VARIABLES = provider_variables(mpesa_shortcode="174379", mpesa_passkey="passkey")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No provider or environment variable set; the working directory is a scratch folder."""
    for name in [*VARIABLES, "BILLING_ENVIRONMENT"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


class TestTheSettingsFile:
    def test_every_provider_is_configured_from_it(
        self, clean_env: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = clean_env / "dev.env"
        write_env(path, VARIABLES)
        for name in VARIABLES:
            monkeypatch.setenv(name, "")  # monkeypatch restores (deletes) them afterwards
            monkeypatch.delenv(name)

        assert load_dev_providers_env(path)

        providers = ProviderSettings()
        assert providers.mpesa.configured
        assert providers.mpesa.status_queries_configured  # C2B confirmed, not held
        assert providers.pesapal.configured
        assert providers.stripe.configured  # both keys: setup does not answer 503
        assert providers.stripe.webhook_secret_values() == ("whsec_fake_development_secret",)
        assert providers.mollie.configured
        assert oct(path.stat().st_mode & 0o777) == "0o600"

    def test_it_never_overrides_what_is_set(
        self, clean_env: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = clean_env / "dev.env"
        write_env(path, VARIABLES)
        monkeypatch.setenv("BILLING_STRIPE_SECRET_KEY", "sk_live_operator")
        for name in VARIABLES:
            if name != "BILLING_STRIPE_SECRET_KEY":
                monkeypatch.setenv(name, "")
                monkeypatch.delenv(name)

        assert load_dev_providers_env(path)

        assert os.environ["BILLING_STRIPE_SECRET_KEY"] == "sk_live_operator"
        assert os.environ["BILLING_STRIPE_PUBLISHABLE_KEY"] == "pk_test_fake"

    @pytest.mark.parametrize("environment", ["test", "production"])
    def test_only_development_reads_it(
        self, clean_env: Path, monkeypatch: pytest.MonkeyPatch, environment: str
    ) -> None:
        path = clean_env / "dev.env"
        write_env(path, VARIABLES)
        monkeypatch.setenv("BILLING_ENVIRONMENT", environment)

        assert not load_dev_providers_env(path)

        assert "BILLING_STRIPE_SECRET_KEY" not in os.environ

    def test_a_missing_file_is_no_error(self, clean_env: Path) -> None:
        assert not load_dev_providers_env(clean_env / "absent.env")


class TestDevProviders:
    def test_writes_the_file_while_the_fakes_run_and_removes_it_after(
        self, clean_env: Path
    ) -> None:
        seen: list[str] = []

        def run_forever(servers: Sequence[Any]) -> None:
            # What `make run` finds while the fakes serve.
            seen.append((clean_env / ".dev-providers.env").read_text(encoding="utf-8"))

        serve_fakes([], VARIABLES, run_forever)

        assert seen == [render_env(VARIABLES)]
        assert not (clean_env / ".dev-providers.env").exists()

    def test_a_second_copy_refuses_and_leaves_the_first_ones_file(self, clean_env: Path) -> None:
        (clean_env / ".dev-providers.env").write_text(render_env(VARIABLES), encoding="utf-8")
        with socket.socket() as taken:
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                taken.bind((FAKE_HOST, DEV_PORTS["daraja"]))
                taken.listen()
            except OSError:
                pass  # already in use (a developer's fakes): the refusal is the same
            result = CliRunner().invoke(app, ["dev-providers"])

        assert result.exit_code == 1
        assert f"port {DEV_PORTS['daraja']} (daraja) is in use" in result.output
        assert (clean_env / ".dev-providers.env").read_text(encoding="utf-8") == render_env(
            VARIABLES
        )


class TestEmbeddedWorker:
    @pytest.mark.parametrize(
        ("environment", "setting", "runs"),
        [
            ("development", None, True),
            ("development", False, False),
            ("test", None, False),
            ("production", None, False),
            ("production", True, True),
        ],
    )
    def test_default_follows_the_environment(
        self, environment: str, setting: bool | None, runs: bool
    ) -> None:
        settings = Settings(environment=environment, embedded_worker=setting)
        assert settings.runs_embedded_worker is runs

    def test_false_in_the_environment_turns_it_off(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("BILLING_ENVIRONMENT", raising=False)
        monkeypatch.setenv("BILLING_EMBEDDED_WORKER", "false")
        assert not Settings().runs_embedded_worker
