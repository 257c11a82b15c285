"""Development routes exist only when enabled."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.auth import Tokens
from tests.fixtures.waiting import eventually
from tests.payments.checkout.conftest import LiveStack


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/test/invoice"),
        ("POST", "/api/v1/test/payment-methods/seed"),
        ("POST", "/api/v1/test/mpesa/callback"),
        ("POST", "/api/v1/test/pesapal/ipn"),
        ("GET", "/api/v1/test/invoice/00000000-0000-0000-0000-000000000000"),
        ("GET", "/api/v1/test/transaction/TXN-1"),
    ],
)
async def test_disabled_by_default(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path, json={})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_enabled_routes_drive_a_payment(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    seeded = await http.post("/api/v1/test/payment-methods/seed")
    assert {"mpesa", "pesapal", "cash_on_delivery"} <= set(seeded.json()["data"])
    created = await http.post("/api/v1/test/invoice", json={})
    assert created.status_code == 201, created.text
    invoice = created.json()["data"]
    assert invoice["total_amount"] == "232.00"
    async with httpx.AsyncClient() as control:
        await control.post(live.daraja.url("/__control/scenario"), json={"manual": True})
    started = await http.post(
        "/api/v1/payments/mpesa/initiate",
        json={"invoice_number": invoice["invoice_number"], "phone_number": "0708374149"},
    )
    checkout_id = started.json()["data"]["checkout_request_id"]
    # A simulated callback takes the same path as a real one: it is confirmed with Daraja,
    # so it settles only once Daraja has decided the push (here: without calling back).
    async with httpx.AsyncClient() as control:
        await control.post(
            live.daraja.url(f"/__control/stk/{checkout_id}/trigger"), json={"deliveries": 0}
        )
    simulated = await http.post(
        "/api/v1/test/mpesa/callback",
        json={"checkout_request_id": checkout_id, "result_code": 0, "amount": "232"},
    )
    assert simulated.json()["data"]["outcome"] == "queued"

    async def paid() -> bool:
        detail = await http.get(f"/api/v1/test/invoice/{invoice['id']}")
        return bool(detail.json()["data"]["invoice"]["status"] == "paid")

    await eventually(paid)
    reference = started.json()["data"]["reference"]
    transaction = await http.get(f"/api/v1/test/transaction/{reference}")
    assert transaction.json()["data"]["gateway_data"]["checkout_request_id"] == checkout_id
