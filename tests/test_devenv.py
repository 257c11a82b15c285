"""Development wiring: the fakes' settings file, the mail catcher, ``billing dev-providers``
end to end, and the job worker inside ``billing serve``."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from dotenv import dotenv_values
from typer.testing import CliRunner

from billing.cli import app, serve_fakes
from billing.config import Settings
from billing.delivery.email.smtp import parse_smtp_url, send_mail
from billing.delivery.whatsapp.registry import configured as whatsapp_configured
from billing.devenv import (
    DEV_PORTS,
    FAKE_HOST,
    load_dev_providers_env,
    provider_variables,
    render_env,
    write_env,
)
from billing.providers.registry import ProviderSettings
from billing_fakes.mailcatcher import MailCatcher
from billing_fakes.server import FakeServer
from tests.fixtures.servers import free_port

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
        app_settings = Settings()
        assert app_settings.smtp_url is not None  # e-mail goes to the mail catcher
        assert whatsapp_configured(app_settings)
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


def invoice_mail(to: str, subject: str, attachment: bytes) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "billing@operator.example"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Your invoice is attached.")
    message.add_alternative("<p>Your invoice is attached.</p>", subtype="html")
    message.add_attachment(
        attachment, maintype="application", subtype="pdf", filename="INV-2026-00001.pdf"
    )
    return message


class TestMailCatcher:
    @pytest.fixture
    def catcher(self) -> Iterator[tuple[MailCatcher, str, int]]:
        catcher = MailCatcher()
        smtp = catcher.smtp(port=free_port())
        smtp.start()
        try:
            with FakeServer(catcher.app, name="mail") as page:
                yield catcher, page.base_url, smtp.port
        finally:
            smtp.stop()

    async def test_lists_what_the_app_sends(self, catcher: tuple[MailCatcher, str, int]) -> None:
        mails, page, port = catcher
        pdf = b"%PDF-1.7 invoice bytes"
        server = parse_smtp_url(f"smtp://127.0.0.1:{port}?starttls=false")
        result = await send_mail(
            server,
            invoice_mail("ap@kunde.example", "Invoice <b>INV-2026-00001</b>", pdf),
            timeout_seconds=10,
        )
        assert result.ok, result.error

        [caught] = mails.mails
        assert caught.recipients == ("ap@kunde.example",)
        assert [a.filename for a in caught.attachments] == ["INV-2026-00001.pdf"]
        async with httpx.AsyncClient(base_url=page) as browser:
            index = await browser.get("/")
            assert index.status_code == 200
            assert "text/html" in index.headers["content-type"]
            assert "ap@kunde.example" in index.text
            assert "INV-2026-00001.pdf" in index.text
            # A subject is shown, never interpreted as markup.
            assert "Invoice &lt;b&gt;INV-2026-00001&lt;/b&gt;" in index.text
            assert "<b>INV-2026-00001</b>" not in index.text
            listed = (await browser.get("/messages.json")).json()
            assert listed[0]["subject"] == "Invoice <b>INV-2026-00001</b>"
            assert listed[0]["attachments"] == [
                {"filename": "INV-2026-00001.pdf", "content_type": "application/pdf", "size": 22}
            ]
            download = await browser.get(f"/messages/{caught.number}/attachments/0")
            assert download.content == pdf
            assert download.headers["content-type"] == "application/pdf"
            shown = await browser.get(f"/messages/{caught.number}")
            assert "Your invoice is attached." in shown.text
            assert (await browser.get("/messages/999")).status_code == 404


def _ports_free() -> bool:
    for port in DEV_PORTS.values():
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((FAKE_HOST, port))
            except OSError:
                return False
    return True


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


class TestDevProvidersCommand:
    def test_mail_and_whatsapp_reach_the_fakes_it_starts(self, tmp_path: Path) -> None:
        if not _ports_free():
            pytest.skip("the development ports are taken (a developer's fakes are running)")
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith("BILLING_")
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "billing.cli", "dev-providers"],
            cwd=tmp_path,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        env_file = tmp_path / ".dev-providers.env"
        try:
            deadline = time.monotonic() + 60
            page_url = f"http://{FAKE_HOST}:{DEV_PORTS['mail']}/"
            # The file is written first, then the servers start in order, the mail page last.
            while not (env_file.exists() and _answers(page_url)):
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "dev-providers did not start"
                time.sleep(0.1)
            variables = dotenv_values(env_file)
            smtp_url = variables["BILLING_SMTP_URL"]
            assert smtp_url is not None
            result = asyncio.run(
                send_mail(
                    parse_smtp_url(smtp_url),
                    invoice_mail("dev@tenant.example", "Invoice INV-DEV-1", b"%PDF dev"),
                    timeout_seconds=10,
                )
            )
            assert result.ok, result.error
            with httpx.Client() as browser:
                page = browser.get(page_url)
                assert "Invoice INV-DEV-1" in page.text
                assert "dev@tenant.example" in page.text
                whatsapp = browser.post(
                    f"{variables['BILLING_WHATSAPP_BASE_URL']}/v21.0/"
                    f"{variables['BILLING_WHATSAPP_SENDER_ID']}/messages",
                    json={
                        "messaging_product": "whatsapp",
                        "to": "255712345678",
                        "type": "text",
                        "text": {"body": "hello"},
                    },
                    headers={"Authorization": f"Bearer {variables['BILLING_WHATSAPP_TOKEN']}"},
                )
                assert whatsapp.status_code == 200, whatsapp.text
                assert whatsapp.json()["messages"][0]["id"].startswith("wamid.")
        finally:
            process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=30)
        text = output.decode()
        assert f"http://{FAKE_HOST}:{DEV_PORTS['mail']}/" in text
        assert "export BILLING_SMTP_URL=" in text
        assert not env_file.exists()  # removed when the fakes stop


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
