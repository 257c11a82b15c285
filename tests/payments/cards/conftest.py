"""The real app served over HTTP next to fake Stripe and Mollie servers.

Providers call back into the app (Mollie posts to the ``webhookUrl`` we give it, the Stripe
fake delivers signed events on request), so the app runs under uvicorn on a local port with
its own engine, and tests talk to it over real HTTP like the checkout tests do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import SecretStr

from billing.config import Settings
from billing.core.db import Database
from billing.main import create_app
from billing.providers.mollie import MollieConfig
from billing.providers.registry import ProviderSettings
from billing.providers.stripe import StripeConfig
from billing_fakes.mollie import create_mollie_app, mollie_state
from billing_fakes.server import FakeServer
from billing_fakes.stripe import create_stripe_app, stripe_state
from tests.fixtures.auth import Tokens
from tests.payments.cards.cards_support import CardsStack, MollieFake, StripeFake, free_port
from tests.providers.mollie.mollie_support import API_KEY
from tests.providers.stripe.stripe_support import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET

# What the operator settings must say for these tests; put back afterwards because other
# modules on the same worker match on the enabled methods.
_SETTINGS = {
    "enable_stripe": True,
    "enable_mollie": True,
    "enable_mpesa": True,
    "enabled_currencies": ["EUR", "USD", "JPY", "KES", "KWD"],
}


@pytest.fixture(scope="module")
def cards(database_url: str, settings: Settings) -> Iterator[CardsStack]:
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    stripe_app = create_stripe_app(secret_key=SECRET_KEY)
    mollie_app = create_mollie_app(api_key=API_KEY)
    with (
        FakeServer(stripe_app, name="stripe") as stripe_server,
        FakeServer(mollie_app, name="mollie") as mollie_server,
    ):
        providers = ProviderSettings(
            stripe=StripeConfig(
                api_base=stripe_server.base_url,
                secret_key=SecretStr(SECRET_KEY),
                publishable_key=PUBLISHABLE_KEY,
                webhook_secrets=(SecretStr(WEBHOOK_SECRET),),
            ),
            mollie=MollieConfig(api_base=mollie_server.base_url, api_key=SecretStr(API_KEY)),
        )
        database = Database.connect(database_url, role=settings.app_role, pool_size=5)
        live_settings = settings.model_copy(
            update={"public_base_url": app_url, "embedded_worker": True}
        )
        app = create_app(live_settings, database, providers)
        with FakeServer(app, port=port, name="billing", lifespan="on"):
            yield CardsStack(
                app_url=app_url,
                stripe=StripeFake(stripe_server, stripe_state(stripe_app)),
                mollie=MollieFake(mollie_server, mollie_state(mollie_app)),
                database_url=database_url,
                provider_settings=providers,
                settings=live_settings,
            )


@pytest.fixture
async def http(cards: CardsStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cards.app_url, timeout=15) as client:
        yield client


@pytest.fixture
async def cards_ready(http: httpx.AsyncClient, tokens: Tokens) -> AsyncIterator[None]:
    before = (await http.get("/api/v1/admin/settings", headers=tokens.admin())).json()["data"]
    response = await http.put("/api/v1/admin/settings", headers=tokens.admin(), json=_SETTINGS)
    assert response.status_code == 200, response.text
    yield
    restored = {key: before[key] for key in _SETTINGS}
    response = await http.put("/api/v1/admin/settings", headers=tokens.admin(), json=restored)
    assert response.status_code == 200, response.text
