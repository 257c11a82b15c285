"""The app served over HTTP beside all four fake providers, for the payment page's tests.

Providers call back into the app (Daraja's STK callback, Pesapal's IPN, Mollie's webhook) and
browsers follow redirects between the app and the fakes, so the app runs under uvicorn on a
local port with its embedded job worker, as in the checkout and card tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from billing.config import Settings
from billing.core.db import Database
from billing.main import create_app
from billing.providers.mollie import MollieConfig
from billing.providers.registry import ProviderSettings
from billing.providers.stripe import StripeConfig
from billing_fakes.daraja import create_daraja_app
from billing_fakes.mollie import create_mollie_app, mollie_state
from billing_fakes.pesapal import create_pesapal_app
from billing_fakes.server import FakeServer
from billing_fakes.stripe import create_stripe_app, stripe_state
from tests.payments.cards.cards_support import MollieFake, StripeFake
from tests.payments.checkout.conftest import free_port, provider_settings
from tests.providers.mollie.mollie_support import API_KEY
from tests.providers.stripe.stripe_support import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET


@dataclass(frozen=True, slots=True)
class PayStack:
    """The running app and the four fakes."""

    app_url: str
    daraja: FakeServer
    pesapal: FakeServer
    stripe: StripeFake
    mollie: MollieFake
    settings: Settings

    def client(self) -> httpx.AsyncClient:
        """A client of the app (follows no redirect: tests look at each hop)."""
        return httpx.AsyncClient(base_url=self.app_url, timeout=20)

    async def daraja_control(self, path: str, body: dict[str, Any]) -> Any:
        async with httpx.AsyncClient(timeout=20) as client:
            response = await client.post(self.daraja.url(path), json=body)
        assert response.status_code == 200, response.text
        return response.json()


@contextmanager
def pay_stack(database_url: str, settings: Settings) -> Iterator[PayStack]:
    """The app under uvicorn (embedded worker) beside Daraja, Pesapal, Stripe and Mollie."""
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    live_settings = settings.model_copy(
        update={"public_base_url": app_url, "enable_test_routes": True, "embedded_worker": True}
    )
    stripe_app = create_stripe_app(secret_key=SECRET_KEY)
    mollie_app = create_mollie_app(api_key=API_KEY)
    with (
        FakeServer(create_daraja_app(), name="daraja") as daraja,
        FakeServer(create_pesapal_app(), name="pesapal") as pesapal,
        FakeServer(stripe_app, name="stripe") as stripe_server,
        FakeServer(mollie_app, name="mollie") as mollie_server,
    ):
        african = provider_settings(daraja, pesapal)
        providers = ProviderSettings(
            mpesa=african.mpesa,
            pesapal=african.pesapal,
            stripe=StripeConfig(
                api_base=stripe_server.base_url,
                secret_key=SecretStr(SECRET_KEY),
                publishable_key=PUBLISHABLE_KEY,
                webhook_secrets=(SecretStr(WEBHOOK_SECRET),),
            ),
            mollie=MollieConfig(api_base=mollie_server.base_url, api_key=SecretStr(API_KEY)),
        )
        database = Database.connect(database_url, role=settings.app_role, pool_size=5)
        app = create_app(live_settings, database, providers)
        with FakeServer(app, port=port, name="billing", lifespan="on"):
            yield PayStack(
                app_url=app_url,
                daraja=daraja,
                pesapal=pesapal,
                stripe=StripeFake(stripe_server, stripe_state(stripe_app)),
                mollie=MollieFake(mollie_server, mollie_state(mollie_app)),
                settings=live_settings,
            )
