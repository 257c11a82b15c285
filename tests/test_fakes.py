"""Every fake provider answers the same control surface (billing_fakes.base): recorded
requests, injected faults, settings and reset, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette

from billing_fakes.daraja import create_daraja_app
from billing_fakes.mollie import create_mollie_app
from billing_fakes.pesapal import create_pesapal_app
from billing_fakes.server import FakeServer
from billing_fakes.stripe import create_stripe_app


@dataclass(frozen=True, slots=True)
class Fake:
    create: Callable[[], Starlette]
    method: str
    path: str  # an API route that needs credentials
    refused: int  # its status without them
    settings: tuple[str, ...]


FAKES = {
    "daraja": Fake(
        create_daraja_app,
        "POST",
        "/mpesa/stkpush/v1/processrequest",
        404,
        ("token_ttl_ms", "timestamp_tolerance_s", "leak_credentials_in_errors"),
    ),
    "pesapal": Fake(
        create_pesapal_app,
        "GET",
        "/api/URLSetup/GetIpnList",
        401,
        ("token_ttl_ms", "auto_ipn", "leak_credentials_in_errors", "payment_method"),
    ),
    "stripe": Fake(
        create_stripe_app, "GET", "/v1/events", 401, ("secret_key", "leak_keys_in_errors")
    ),
    "mollie": Fake(
        create_mollie_app,
        "GET",
        "/v2/payments/tr_unknown",
        401,
        ("api_key", "first_mandate_status", "leak_keys_in_errors"),
    ),
}


@pytest.fixture(params=sorted(FAKES), scope="module")
def fake(request: pytest.FixtureRequest) -> Iterator[tuple[Fake, httpx.Client]]:
    spec = FAKES[request.param]
    with (
        FakeServer(spec.create(), name=request.param) as server,
        httpx.Client(base_url=server.base_url, timeout=10) as client,
    ):
        yield spec, client


def test_a_fault_answers_once_then_the_api_does(fake: tuple[Fake, httpx.Client]) -> None:
    spec, client = fake
    client.post("/__control/reset").raise_for_status()
    queued = client.post(
        "/__control/faults", json={"status": 503, "path": spec.path, "body": {"down": True}}
    )
    assert queued.json() == {"queued": 1}
    failed = client.request(spec.method, spec.path)
    assert (failed.status_code, failed.json()) == (503, {"down": True})
    assert client.request(spec.method, spec.path).status_code == spec.refused
    recorded = client.get("/__control/requests", params={"path": spec.path}).json()
    assert [(r["method"], r["path"]) for r in recorded] == [(spec.method, spec.path)] * 2
    assert client.get("/__control/requests", params={"path": "/elsewhere"}).json() == []


def test_a_fault_without_a_body_gets_the_providers_error_shape(
    fake: tuple[Fake, httpx.Client],
) -> None:
    spec, client = fake
    client.post("/__control/reset").raise_for_status()
    client.post("/__control/faults", json={"status": 500}).raise_for_status()
    failed = client.request(spec.method, spec.path)
    assert failed.status_code == 500
    assert failed.json()  # the provider's own error body, not an empty one


def test_settings_list_the_tunables_and_survive_a_reset(fake: tuple[Fake, httpx.Client]) -> None:
    spec, client = fake
    before = client.post("/__control/settings", json={}).json()
    assert tuple(before) == spec.settings
    name = next(n for n in spec.settings if n.startswith("leak_"))
    assert client.post("/__control/settings", json={name: True}).json()[name] is True
    client.post("/__control/reset").raise_for_status()
    assert client.post("/__control/settings", json={}).json()[name] is True
    client.post("/__control/settings", json={name: before[name]}).raise_for_status()


def test_reset_forgets_requests_and_faults(fake: tuple[Fake, httpx.Client]) -> None:
    spec, client = fake
    client.post("/__control/faults", json={"status": 502, "count": 5}).raise_for_status()
    client.request(spec.method, spec.path)
    assert client.post("/__control/reset").json() == {"reset": True}
    assert client.get("/__control/requests").json() == []
    assert client.get("/__control/deliveries").json() == []
    assert client.request(spec.method, spec.path).status_code == spec.refused


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"status": "often"}', b'{"count": null}']
)
def test_bad_control_bodies_are_refused(fake: tuple[Fake, httpx.Client], body: bytes) -> None:
    _, client = fake
    answer = client.post(
        "/__control/faults", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400
    client.post("/__control/reset").raise_for_status()


def test_only_token_issuing_fakes_expire_tokens(fake: tuple[Fake, httpx.Client]) -> None:
    spec, client = fake
    answer = client.post("/__control/expire-tokens")
    issues_tokens = spec.create in (create_daraja_app, create_pesapal_app)
    assert answer.status_code == (200 if issues_tokens else 404)
