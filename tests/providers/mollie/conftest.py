"""Fixtures for the Mollie plugin: a fake Mollie and a webhook receiver over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from billing.providers.base import CustomerRef, SavedMethod, SetupRequest
from billing.providers.http import build_http_client
from billing.providers.mollie import MollieConfig, MollieProvider
from billing_fakes.mollie import create_mollie_app
from billing_fakes.server import CallbackRecorder, FakeServer
from tests.providers.mollie.mollie_support import (
    API_KEY,
    RETURN_URL,
    MakePayment,
    MollieControl,
    SaveMandate,
    payment_request,
)


@pytest.fixture(scope="session")
def mollie_app() -> Starlette:
    return create_mollie_app(api_key=API_KEY, leak_keys_in_errors=True)


@pytest.fixture(scope="session")
def mollie_server(mollie_app: Starlette) -> Iterator[FakeServer]:
    with FakeServer(mollie_app, name="mollie") as server:
        yield server


@pytest.fixture(scope="session")
def receiver() -> CallbackRecorder:
    # Mollie counts only HTTP 200 as delivered.
    return CallbackRecorder(lambda _request: (200, {}))


@pytest.fixture(scope="session")
def receiver_server(receiver: CallbackRecorder) -> Iterator[FakeServer]:
    with FakeServer(receiver, name="mollie-receiver") as server:
        yield server


@pytest.fixture
def fake(
    mollie_server: FakeServer, mollie_app: Starlette, receiver: CallbackRecorder
) -> MollieControl:
    control = MollieControl(mollie_server, mollie_app)
    control.post("reset")
    control.state.settings.first_mandate_status = "valid"
    receiver.clear()
    return control


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with build_http_client() as client:
        yield client


@pytest.fixture
def config(mollie_server: FakeServer) -> MollieConfig:
    return MollieConfig(api_base=mollie_server.base_url, api_key=SecretStr(API_KEY))


@pytest.fixture
def provider(config: MollieConfig, http: httpx.AsyncClient, fake: MollieControl) -> MollieProvider:
    return MollieProvider(config=config, http=http)


@pytest.fixture
def customer() -> CustomerRef:
    return CustomerRef(tenant_id="t_42", name="Acme BV", email="billing@acme.example")


@pytest.fixture
def save_mandate(
    provider: MollieProvider,
    fake: MollieControl,
    customer: CustomerRef,
    receiver_server: FakeServer,
) -> SaveMandate:
    """First payment -> checkout paid -> confirm_setup; return the saved mandate."""
    counter = iter(range(1, 1000))

    async def run(method_type: str = "creditcard", **checkout: str) -> SavedMethod:
        setup = await provider.create_setup(
            SetupRequest(
                attempt_id=f"setup_{next(counter)}",
                customer=customer,
                method_type=method_type,
                return_url=RETURN_URL,
                callback_url=receiver_server.url("/api/v1/webhooks/mollie"),
            )
        )
        assert setup.next_action.url is not None
        fake.visit_checkout(setup.next_action.url, **checkout)
        return await provider.confirm_setup(
            setup.provider_customer_id, {"payment_id": setup.provider_ref}
        )

    return run


@pytest.fixture
def make_payment() -> MakePayment:
    return payment_request
