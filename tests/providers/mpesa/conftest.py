"""Fixtures for the M-Pesa plugin: a fake Daraja and a callback receiver over real HTTP."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal

import httpx
import pytest

from billing.providers.base import Amount, CustomerRef, PaymentRequest
from billing.providers.http import TokenCache, build_http_client
from billing.providers.mpesa import MpesaConfig, MpesaProvider
from billing_fakes.daraja import SANDBOX_PASSKEY, SANDBOX_SHORTCODE, create_daraja_app
from billing_fakes.server import CallbackRecorder, FakeServer
from tests.providers.mpesa.mpesa_helpers import (
    CONSUMER_KEY,
    CONSUMER_SECRET,
    FAST_RETRY,
    SECURITY_CREDENTIAL,
    Control,
)


@pytest.fixture(scope="session")
def daraja_server() -> Iterator[FakeServer]:
    with FakeServer(create_daraja_app(), name="daraja") as server:
        yield server


@pytest.fixture(scope="session")
def control_client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def receiver() -> CallbackRecorder:
    return CallbackRecorder()


@pytest.fixture(scope="session")
def receiver_server(receiver: CallbackRecorder) -> Iterator[FakeServer]:
    with FakeServer(receiver, name="receiver") as server:
        yield server


@pytest.fixture
def receiver_server_url(receiver_server: FakeServer) -> str:
    return receiver_server.base_url


@pytest.fixture
def daraja(
    daraja_server: FakeServer, receiver: CallbackRecorder, control_client: httpx.Client
) -> Control:
    control = Control(daraja_server.base_url, control_client)
    control.post("reset")
    control.post("settings", {"leak_credentials_in_errors": False, "token_ttl_ms": 3_599_000})
    receiver.clear()
    return control


@pytest.fixture
def config(daraja_server: FakeServer, receiver_server: FakeServer) -> MpesaConfig:
    return MpesaConfig(
        base_url=daraja_server.base_url,
        consumer_key=CONSUMER_KEY,
        consumer_secret=CONSUMER_SECRET,
        shortcode=SANDBOX_SHORTCODE,
        passkey=SANDBOX_PASSKEY,
        initiator_name="testapi",
        security_credential=SECURITY_CREDENTIAL,
        reversal_result_url=receiver_server.url("/reversal/result"),
        reversal_timeout_url=receiver_server.url("/reversal/timeout"),
    )


@pytest.fixture(scope="session")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with build_http_client() as client:
        yield client


@pytest.fixture
def tokens() -> TokenCache:
    return TokenCache()


@pytest.fixture
def provider(
    http: httpx.AsyncClient, config: MpesaConfig, tokens: TokenCache, daraja: Control
) -> MpesaProvider:
    return MpesaProvider(http=http, config=config, token_cache=tokens, retry=FAST_RETRY)


@pytest.fixture
def make_request(receiver_server: FakeServer) -> Callable[..., PaymentRequest]:
    def make(
        *,
        amount: str = "10",
        currency: str = "KES",
        phone: str | None = "0712 345 678",
        attempt_id: str = "att_1",
    ) -> PaymentRequest:
        return PaymentRequest(
            attempt_id=attempt_id,
            reference="INV-2024-0007",
            amount=Amount(Decimal(amount), currency),
            description="Invoice INV-2024-0007",
            customer=CustomerRef(tenant_id="t_42", name="Jane Doe", phone=phone),
            callback_url=receiver_server.url(f"/hooks/mp/stk/t_42/{attempt_id}"),
        )

    return make


@pytest.fixture
def closed_port_url() -> str:
    """A URL on which nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
