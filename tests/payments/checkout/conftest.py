"""The real app served over HTTP next to fake Daraja and Pesapal servers.

Providers call back into the app, so here the app runs under uvicorn on a local port (with
its own engine, bound to the server's event loop) and tests talk to it over real HTTP.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from billing.config import Settings
from billing.core.db import Database
from billing.main import create_app
from billing.providers.mpesa import MpesaConfig
from billing.providers.pesapal import PesapalConfig
from billing.providers.registry import ProviderSettings
from billing_fakes.daraja import SANDBOX_PASSKEY, SANDBOX_SHORTCODE, create_daraja_app
from billing_fakes.pesapal import create_pesapal_app
from billing_fakes.server import FakeServer
from tests.fixtures.auth import Tokens
from tests.fixtures.waiting import eventually


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True, slots=True)
class LiveStack:
    """URLs of the running app and fakes."""

    app_url: str
    daraja: FakeServer
    pesapal: FakeServer
    provider_settings: ProviderSettings
    settings: Settings


def provider_settings(
    daraja: FakeServer, pesapal: FakeServer, *, initiator: bool = True
) -> ProviderSettings:
    """The fakes' credentials; ``initiator`` configures Daraja's Transaction Status API."""
    return ProviderSettings(
        mpesa=MpesaConfig(
            base_url=daraja.base_url,
            consumer_key="fake-daraja-consumer-key",
            consumer_secret="fake-daraja-consumer-secret",
            shortcode=SANDBOX_SHORTCODE,
            passkey=SANDBOX_PASSKEY,
            initiator_name="testapi" if initiator else None,
            security_credential=SecretStr("fake-security-credential") if initiator else None,
        ),
        pesapal=PesapalConfig(
            base_url=pesapal.base_url,
            consumer_key="fake-pesapal-consumer-key",
            consumer_secret="fake-pesapal-consumer-secret",
        ),
    )


@contextmanager
def live_stack(
    database_url: str, settings: Settings, *, initiator: bool = True
) -> Iterator[LiveStack]:
    """The app under uvicorn (with its embedded job worker) beside fake Daraja and Pesapal."""
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    live_settings = settings.model_copy(
        update={"public_base_url": app_url, "enable_test_routes": True, "embedded_worker": True}
    )
    with (
        FakeServer(create_daraja_app(), name="daraja") as daraja,
        FakeServer(create_pesapal_app(), name="pesapal") as pesapal,
    ):
        providers = provider_settings(daraja, pesapal, initiator=initiator)
        database = Database.connect(database_url, role=settings.app_role, pool_size=5)
        app = create_app(live_settings, database, providers)
        with FakeServer(app, port=port, name="billing", lifespan="on"):
            yield LiveStack(app_url, daraja, pesapal, providers, live_settings)


@pytest.fixture(scope="module")
def live(database_url: str, settings: Settings) -> Iterator[LiveStack]:
    with live_stack(database_url, settings) as stack:
        yield stack


@pytest.fixture
async def http(live: LiveStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.app_url, timeout=15) as client:
        yield client


@pytest.fixture
async def checkout_ready(http: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await http.put(
        "/api/v1/admin/settings",
        headers=tokens.admin(),
        json={
            "enable_mpesa": True,
            "enable_pesapal": True,
            "enabled_currencies": ["EUR", "KES", "JPY"],
            "default_tax_rate": "16.00",
        },
    )
    assert response.status_code == 200, response.text


def mpesa_url(live: LiveStack, path: str = "/callbacks/mpesa", token: str | None = None) -> str:
    """A delivery URL of the live app with its secret token (``token`` overrides it)."""
    given = token if token is not None else live.settings.callback_token("mpesa")
    return f"{live.app_url}/api/v1{path}?token={given}"


async def provider_events(
    http: httpx.AsyncClient, tokens: Tokens, provider_ref: str
) -> list[dict[str, Any]]:
    """The inbox deliveries about ``provider_ref`` (admin view)."""
    response = await http.get(
        "/api/v1/admin/provider-events",
        params={"provider_ref": provider_ref},
        headers=tokens.admin(),
    )
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["data"]
    return events


async def processed(
    http: httpx.AsyncClient, tokens: Tokens, provider_ref: str, count: int = 1
) -> list[dict[str, Any]]:
    """Wait until ``count`` deliveries about ``provider_ref`` have been processed."""

    async def done() -> list[dict[str, Any]] | None:
        events = await provider_events(http, tokens, provider_ref)
        finished = [event for event in events if event["processed_at"] is not None]
        return finished if len(finished) >= count else None

    result: list[dict[str, Any]] = await eventually(done)
    return result
