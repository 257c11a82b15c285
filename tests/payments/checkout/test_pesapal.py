"""Pesapal 3.0 end to end over real HTTP with the fake Pesapal server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from billing.payments.callback_urls import pesapal_ipn_url
from tests.fixtures.auth import Tokens
from tests.fixtures.waiting import eventually
from tests.payments.checkout.conftest import LiveStack, processed, provider_events
from tests.payments.checkout.test_mpesa import invoice_state, kes_invoice

pytestmark = pytest.mark.usefixtures("checkout_ready")
ADMIN = "/api/v1/admin"


def ipn_url(live: LiveStack) -> str:
    """The IPN URL as registered with Pesapal (its last segment is the secret token)."""
    return pesapal_ipn_url(live.app_url, live.settings)


async def initiate(http: httpx.AsyncClient, invoice: Any) -> Any:
    response = await http.post(
        "/api/v1/payments/pesapal/initiate",
        json={"invoice_number": invoice["invoice_number"], "email": "payer@example.com"},
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def control(live: LiveStack, path: str, body: dict[str, Any]) -> Any:
    async with httpx.AsyncClient(timeout=15) as client:
        response = await client.post(live.pesapal.url(path), json=body)
        assert response.status_code == 200, response.text
        return response.json()


async def test_redirect_flow_with_ipn_and_return_page(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    invoice = await kes_invoice(http, tokens, "500")
    started = await initiate(http, invoice)
    assert started["redirect_url"].startswith(live.pesapal.base_url)
    assert started["status"] == "pending"
    async with httpx.AsyncClient(timeout=15) as browser:
        # The payer pays on the hosted page, which sends the IPN and redirects back to us.
        page = await browser.get(started["redirect_url"])
        assert page.status_code == 200
        tracking = started["order_tracking_id"]
        paid = await browser.get(
            live.pesapal.url(f"/pesapaliframe/{tracking}/pay?outcome=completed")
        )
        assert paid.status_code == 302
        back = await browser.get(paid.headers["location"])
    assert back.status_code == 200
    assert "Payment received" in back.text
    state = await invoice_state(http, tokens, invoice["id"])
    assert state["status"] == "paid"
    status = await http.get(f"/api/v1/payments/pesapal/{started['order_tracking_id']}/status")
    assert status.json()["data"]["status"] == "succeeded"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_ipn_by_get_and_post_duplicated_records_one_payment(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack, method: str
) -> None:
    invoice = await kes_invoice(http, tokens, "120")
    started = await initiate(http, invoice)
    tracking = started["order_tracking_id"]
    await control(live, f"/__control/orders/{tracking}/outcome", {"outcome": "completed"})
    result = await control(
        live, f"/__control/orders/{tracking}/ipn", {"method": method, "deliveries": 3}
    )
    assert len(result["deliveries"]) == 3
    assert {d["status_code"] for d in result["deliveries"]} == {200}

    async def paid() -> Any:
        state = await invoice_state(http, tokens, invoice["id"])
        return state if state["status"] == "paid" else None

    await eventually(paid)
    await processed(http, tokens, tracking)
    payments = await http.get(f"{ADMIN}/invoices/{invoice['id']}/payments", headers=tokens.admin())
    assert [p["amount"] for p in payments.json()["data"]] == ["120.00"]
    direct = await http.request(
        method,
        ipn_url(live),
        params={
            "OrderTrackingId": tracking,
            "OrderNotificationType": "IPNCHANGE",
            "OrderMerchantReference": "x",
        }
        if method == "GET"
        else None,
        json={
            "OrderTrackingId": tracking,
            "OrderNotificationType": "IPNCHANGE",
            "OrderMerchantReference": "x",
        }
        if method == "POST"
        else None,
    )
    assert direct.status_code == 200
    assert direct.json()["status"] == 200
    assert direct.json()["orderTrackingId"] == tracking


async def test_failed_then_reversed(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    failing = await kes_invoice(http, tokens, "80")
    started = await initiate(http, failing)
    tracking = started["order_tracking_id"]
    await control(live, f"/__control/orders/{tracking}/outcome", {"outcome": "failed"})
    await control(live, f"/__control/orders/{tracking}/ipn", {"method": "GET"})

    async def failed() -> Any:
        status = await http.get(f"/api/v1/payments/{started['reference']}/status")
        return status.json()["data"]["status"] == "failed"

    await eventually(failed)
    assert (await invoice_state(http, tokens, failing["id"]))["amount_paid"] == "0.00"

    reversed_invoice = await kes_invoice(http, tokens, "90")
    started = await initiate(http, reversed_invoice)
    tracking = started["order_tracking_id"]
    await control(live, f"/__control/orders/{tracking}/outcome", {"outcome": "completed"})
    await control(live, f"/__control/orders/{tracking}/ipn", {"method": "GET"})

    async def paid() -> Any:
        state = await invoice_state(http, tokens, reversed_invoice["id"])
        return state["status"] == "paid"

    await eventually(paid)
    await control(live, f"/__control/orders/{tracking}/outcome", {"outcome": "reversed"})
    await control(live, f"/__control/orders/{tracking}/ipn", {"method": "GET"})

    async def refunded() -> Any:
        state = await invoice_state(http, tokens, reversed_invoice["id"])
        return state if state["payment_status"] == "refunded" else None

    state = await eventually(refunded)
    assert state["balance"] == "90.00"
    status = await http.get(f"/api/v1/payments/{started['reference']}/status")
    assert status.json()["data"]["status"] == "refunded"


async def test_token_expiry_and_unknown_orders(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    await control(live, "/__control/expire-tokens", {})
    invoice = await kes_invoice(http, tokens, "10")
    started = await initiate(http, invoice)
    assert started["status"] == "pending"
    unknown = await http.get(
        ipn_url(live), params={"OrderTrackingId": "nope", "OrderNotificationType": "IPNCHANGE"}
    )
    assert unknown.status_code == 200
    (event,) = await processed(http, tokens, "nope")
    assert event["outcome"] == "unknown_attempt"
    malformed = await http.get(ipn_url(live))
    assert malformed.status_code == 400
    # Without the URL's token (seed path or token segment), nothing is stored.
    for url in ("/api/v1/callbacks/pesapal/ipn", "/api/v1/callbacks/pesapal/ipn/wrong"):
        refused = await http.get(
            url, params={"OrderTrackingId": "nope-2", "OrderNotificationType": "IPNCHANGE"}
        )
        assert refused.status_code == 404
    assert await provider_events(http, tokens, "nope-2") == []
    assert (await http.get("/api/v1/payments/pesapal/nope/status")).status_code == 404


async def test_currency_the_provider_cannot_take(http: httpx.AsyncClient, tokens: Tokens) -> None:
    tenant = await http.post(
        f"{ADMIN}/tenants", headers=tokens.admin(), json={"name": "Euro", "default_currency": "EUR"}
    )
    invoice = await http.post(
        f"{ADMIN}/invoices",
        headers=tokens.admin(),
        json={"tenant_id": tenant.json()["data"]["id"], "status": "issued", "subtotal": "10"},
    )
    response = await http.post(
        "/api/v1/payments/pesapal/initiate",
        json={"invoice_number": invoice.json()["data"]["invoice_number"], "email": "a@b.example"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "currency_not_supported"
    mpesa = await http.post(
        "/api/v1/payments/mpesa/initiate",
        json={
            "invoice_number": invoice.json()["data"]["invoice_number"],
            "phone_number": "0712345678",
        },
    )
    assert mpesa.status_code == 400
