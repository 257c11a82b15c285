"""The real app served over HTTP next to fake Daraja and Pesapal servers.

Providers call back into the app, so here the app runs under uvicorn on a local port (with
its own engine, bound to the server's event loop) and tests talk to it over real HTTP.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from billing.config import Settings
from billing.core.db import Database
from billing.fakes.daraja import SANDBOX_PASSKEY, SANDBOX_SHORTCODE, create_daraja_app
from billing.fakes.pesapal import create_pesapal_app
from billing.fakes.server import FakeServer
from billing.main import create_app
from billing.providers.mpesa import MpesaConfig
from billing.providers.pesapal import PesapalConfig
from billing.providers.registry import ProviderSettings
from tests.fixtures.auth import Tokens


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


def provider_settings(daraja: FakeServer, pesapal: FakeServer) -> ProviderSettings:
    return ProviderSettings(
        mpesa=MpesaConfig(
            base_url=daraja.base_url,
            consumer_key="fake-daraja-consumer-key",
            consumer_secret="fake-daraja-consumer-secret",
            shortcode=SANDBOX_SHORTCODE,
            passkey=SANDBOX_PASSKEY,
        ),
        pesapal=PesapalConfig(
            base_url=pesapal.base_url,
            consumer_key="fake-pesapal-consumer-key",
            consumer_secret="fake-pesapal-consumer-secret",
        ),
    )


@pytest.fixture(scope="module")
def live(database_url: str, settings: Settings) -> Iterator[LiveStack]:
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    live_settings = settings.model_copy(
        update={"public_base_url": app_url, "enable_test_routes": True}
    )
    with (
        FakeServer(create_daraja_app(), name="daraja") as daraja,
        FakeServer(create_pesapal_app(), name="pesapal") as pesapal,
    ):
        providers = provider_settings(daraja, pesapal)
        database = Database.connect(database_url, role=settings.app_role, pool_size=5)
        app = create_app(live_settings, database, providers)
        with FakeServer(app, port=port, name="billing", lifespan="on"):
            yield LiveStack(app_url, daraja, pesapal, providers, live_settings)


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


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, within: float = 8.0, interval: float = 0.05
) -> Any:
    """Wait until ``probe()`` returns something truthy."""
    async with asyncio.timeout(within):
        while True:
            value = await probe()
            if value:
                return value
            await asyncio.sleep(interval)
