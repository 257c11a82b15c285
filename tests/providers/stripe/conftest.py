"""Fixtures for the Stripe plugin: a fake Stripe and a webhook receiver over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from billing.providers.base import CustomerRef, SavedMethod, SetupRequest
from billing.providers.http import build_http_client
from billing.providers.stripe import StripeConfig, StripeProvider
from billing_fakes.server import CallbackRecorder, FakeServer
from billing_fakes.stripe import create_stripe_app
from tests.providers.stripe.stripe_support import (
    PUBLISHABLE_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    MakePayment,
    SaveMethod,
    StripeControl,
    payment_request,
)


@pytest.fixture(scope="session")
def stripe_app() -> Starlette:
    return create_stripe_app(secret_key=SECRET_KEY, leak_keys_in_errors=True)


@pytest.fixture(scope="session")
def stripe_server(stripe_app: Starlette) -> Iterator[FakeServer]:
    with FakeServer(stripe_app, name="stripe") as server:
        yield server


@pytest.fixture(scope="session")
def receiver() -> CallbackRecorder:
    # Stripe only needs a 2xx; the body is ignored.
    return CallbackRecorder(lambda _request: (200, {"received": True}))


@pytest.fixture(scope="session")
def receiver_server(receiver: CallbackRecorder) -> Iterator[FakeServer]:
    with FakeServer(receiver, name="stripe-receiver") as server:
        yield server


@pytest.fixture
def fake(
    stripe_server: FakeServer, stripe_app: Starlette, receiver: CallbackRecorder
) -> StripeControl:
    control = StripeControl(stripe_server, stripe_app)
    control.post("reset")
    receiver.clear()
    return control


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with build_http_client() as client:
        yield client


@pytest.fixture
def config(stripe_server: FakeServer) -> StripeConfig:
    return StripeConfig(
        api_base=stripe_server.base_url,
        secret_key=SecretStr(SECRET_KEY),
        publishable_key=PUBLISHABLE_KEY,
        webhook_secrets=(SecretStr(WEBHOOK_SECRET),),
    )


@pytest.fixture
def provider(config: StripeConfig, http: httpx.AsyncClient, fake: StripeControl) -> StripeProvider:
    return StripeProvider(config=config, http=http)


@pytest.fixture
def customer() -> CustomerRef:
    return CustomerRef(tenant_id="t_42", name="Acme Ltd", email="billing@acme.example")


@pytest.fixture
def save_method(provider: StripeProvider, fake: StripeControl, customer: CustomerRef) -> SaveMethod:
    """Run setup -> browser confirmation -> confirm_setup; return the saved method."""
    counter = iter(range(1, 1000))

    async def run(test_method: str = "pm_card_visa", method_type: str = "card") -> SavedMethod:
        setup = await provider.create_setup(
            SetupRequest(
                attempt_id=f"setup_{next(counter)}",
                customer=customer,
                method_type=method_type,
                return_url="https://app.example/pm/return",
            )
        )
        fake.confirm_setup(setup.provider_ref, test_method)
        return await provider.confirm_setup(
            setup.provider_customer_id, {"setup_intent_id": setup.provider_ref}
        )

    return run


@pytest.fixture
def make_payment() -> MakePayment:
    return payment_request
