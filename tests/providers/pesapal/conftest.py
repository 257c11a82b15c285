"""Fixtures for the Pesapal plugin: a fake Pesapal and an IPN receiver over real HTTP."""

from __future__ import annotations

import itertools
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal

import httpx
import pytest

from billing.providers.base import Amount, CallbackVerificationError, CustomerRef, PaymentRequest
from billing.providers.http import TokenCache, build_http_client
from billing.providers.pesapal import (
    IpnNotificationType,
    PesapalConfig,
    PesapalProvider,
    ipn_acknowledgement,
    parse_ipn,
)
from billing_fakes.pesapal import create_pesapal_app
from billing_fakes.server import CallbackRecorder, FakeServer, ReceivedRequest
from tests.providers.pesapal.pesapal_helpers import (
    CONSUMER_KEY,
    CONSUMER_SECRET,
    FAST_RETRY,
    Control,
)

_ids = itertools.count(1)


def _acknowledge(request: ReceivedRequest) -> tuple[int, object]:
    """Answer IPNs the way the webhook route must (JSON acknowledgement, HTTP 200)."""
    try:
        event = parse_ipn(request.body, request.headers, request.query)
    except CallbackVerificationError:
        return 200, {"ok": True}  # browser returns and anything else
    return 200, ipn_acknowledgement(event)


@pytest.fixture(scope="session")
def pesapal_server() -> Iterator[FakeServer]:
    with FakeServer(create_pesapal_app(), name="pesapal") as server:
        yield server


@pytest.fixture(scope="session")
def control_client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def receiver() -> CallbackRecorder:
    return CallbackRecorder(_acknowledge)


@pytest.fixture(scope="session")
def receiver_server(receiver: CallbackRecorder) -> Iterator[FakeServer]:
    with FakeServer(receiver, name="ipn-receiver") as server:
        yield server


@pytest.fixture
def pesapal(
    pesapal_server: FakeServer, receiver: CallbackRecorder, control_client: httpx.Client
) -> Control:
    control = Control(pesapal_server.base_url, control_client)
    control.post("reset")
    control.post(
        "settings",
        {
            "leak_credentials_in_errors": False,
            "token_ttl_ms": 300_000,
            "auto_ipn": True,
            "payment_method": "MPESA",
        },
    )
    receiver.clear()
    return control


@pytest.fixture
def ipn_url(receiver_server: FakeServer) -> str:
    # A fresh URL per test: IPN registrations are cached per process, like the real ones.
    return receiver_server.url(f"/hooks/pesapal/ipn/t_{next(_ids)}")


@pytest.fixture
def config(pesapal_server: FakeServer) -> PesapalConfig:
    return PesapalConfig(
        base_url=pesapal_server.base_url,
        consumer_key=CONSUMER_KEY,
        consumer_secret=CONSUMER_SECRET,
        ipn_notification_type=IpnNotificationType.GET,
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
    http: httpx.AsyncClient, config: PesapalConfig, tokens: TokenCache, pesapal: Control
) -> PesapalProvider:
    return PesapalProvider(http=http, config=config, token_cache=tokens, retry=FAST_RETRY)


@pytest.fixture
def make_request(receiver_server: FakeServer, ipn_url: str) -> Callable[..., PaymentRequest]:
    def make(
        *,
        amount: str = "1500.00",
        currency: str = "KES",
        attempt_id: str | None = None,
        email: str | None = "billing@acme.example",
        phone: str | None = None,
    ) -> PaymentRequest:
        return PaymentRequest(
            attempt_id=attempt_id or f"att-{next(_ids)}",
            reference="INV-2024-0007",
            amount=Amount(Decimal(amount), currency),
            description="Invoice INV-2024-0007",
            customer=CustomerRef(tenant_id="t_42", name="Jane Mary Doe", email=email, phone=phone),
            callback_url=ipn_url,
            return_url=receiver_server.url("/t/t_42/pay/pesapal/return"),
        )

    return make


@pytest.fixture
def closed_port_url() -> str:
    """A URL on which nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
