"""After ``expiryAt`` the link shows "expired" and no new payment attempt starts: checkout
(M-Pesa, Pesapal, card, Mollie), cash on delivery. Methods the account does not accept are
refused before and after."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

from .conftest import ADMIN, API, Merchant, body_for, create_account

SECONDS = 1.5


async def expiring_invoice(
    client: httpx.AsyncClient, merchant: Merchant, tenant: Any, product: Any, account: Any
) -> Any:
    expiry = datetime.now(UTC) + timedelta(seconds=SECONDS)
    response = await client.post(
        API,
        json=body_for(tenant, product, account, expiryAt=expiry.isoformat()),
        headers=merchant.headers(),
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


def public_id_of(data: Any) -> str:
    url: str = data["paymentLinkUrl"]
    return urlsplit(url).path.rsplit("/", 1)[1]


async def test_an_expired_link_refuses_every_new_attempt(
    client: httpx.AsyncClient,
    tokens: Tokens,
    operator: Merchant,
    tenant: Any,
    product: Any,
    account: Any,
) -> None:
    data = await expiring_invoice(client, operator, tenant, product, account)
    public_id = public_id_of(data)
    page = await client.get(urlsplit(data["paymentLinkUrl"]).path)
    assert 'id="form-cash_on_delivery"' in page.text
    assert "valid until" in page.text
    await asyncio.sleep(SECONDS + 0.5)

    attempts = {
        "/api/v1/payments/mpesa/initiate": {"public_id": public_id, "phone_number": "0712345678"},
        "/api/v1/payments/pesapal/initiate": {"public_id": public_id, "email": "a@b.example"},
        "/api/v1/payments/cod/create": {"public_id": public_id},
    }
    for path, body in attempts.items():
        response = await client.post(path, json=body)
        assert response.status_code == 409, (path, response.text)
        assert response.json()["error"]["code"] == "payment_link_expired"
    by_number = await client.post(
        "/api/v1/payments/mpesa/initiate",
        json={"invoice_number": data["invoiceNumber"], "phone_number": "0712345678"},
    )
    assert by_number.status_code == 409
    for method in ("stripe", "mollie", "pesapal"):
        response = await client.post(
            f"/api/v1/public/invoices/{public_id}/payments/{method}", json={}
        )
        assert response.status_code == 409, (method, response.text)
        assert response.json()["error"]["code"] == "payment_link_expired"

    # Nothing was started: no attempt on the invoice.
    attempts_made = await client.get(
        f"{ADMIN}/transactions/invoice/{data['invoiceId']}", headers=tokens.admin()
    )
    assert attempts_made.json()["data"] == []

    page = await client.get(urlsplit(data["paymentLinkUrl"]).path)
    assert page.status_code == 200
    assert 'class="status status-expired"' in page.text
    assert "expired on" in page.text
    assert "<form" not in page.text
    assert "<script" not in page.text
    status = await client.get(f"/api/v1/public/invoices/{public_id}/payment-status")
    assert status.json()["data"]["expired"] is True
    assert status.json()["data"]["status"] == "expired"
    seed = await client.get(f"{API}/{data['invoiceNumber']}", headers=operator.headers())
    assert seed.json()["data"]["expired"] is True
    assert seed.json()["data"]["paymentStatus"] == "NEW"
    expired = await client.get(
        f"{ADMIN}/payment-links",
        params={"expired": "true", "tenant_id": tenant["id"]},
        headers=tokens.admin(),
    )
    assert data["invoiceNumber"] in {link["invoice_number"] for link in expired.json()["data"]}


async def test_staff_still_record_money_received_and_it_is_listed_late(
    client: httpx.AsyncClient,
    tokens: Tokens,
    operator: Merchant,
    tenant: Any,
    product: Any,
    account: Any,
) -> None:
    data = await expiring_invoice(client, operator, tenant, product, account)
    await asyncio.sleep(SECONDS + 0.5)
    recorded = await client.post(
        f"{ADMIN}/invoices/{data['invoiceId']}/payments",
        json={"amount": data["totalAmount"], "method": "bank", "reference": "bank transfer 42"},
        headers=tokens.admin(),
    )
    assert recorded.status_code == 201, recorded.text
    late = await client.get(
        f"{ADMIN}/payment-links/late-payments",
        params={"tenant_id": tenant["id"]},
        headers=tokens.admin(),
    )
    [row] = [row for row in late.json()["data"] if row["invoice_id"] == data["invoiceId"]]
    assert row["transaction_id"] == data["transactionId"]
    assert row["amount"] == data["totalAmount"]
    assert row["method"] == "bank"
    seed = await client.get(f"{API}/{data['invoiceNumber']}", headers=operator.headers())
    assert seed.json()["data"]["paymentStatus"] == "PAID"
    page = await client.get(urlsplit(data["paymentLinkUrl"]).path)
    assert 'class="status status-paid"' in page.text


async def test_methods_the_account_does_not_accept(
    client: httpx.AsyncClient,
    factory: Factory,
    operator: Merchant,
    tenant: Any,
    product: Any,
) -> None:
    bank_only = await create_account(factory, accepted_methods=["bank"])
    response = await client.post(
        API, json=body_for(tenant, product, bank_only), headers=operator.headers()
    )
    data = response.json()["data"]
    public_id = public_id_of(data)
    for path, body in {
        "/api/v1/payments/mpesa/initiate": {"public_id": public_id, "phone_number": "0712345678"},
        "/api/v1/payments/cod/create": {"public_id": public_id},
    }.items():
        refused = await client.post(path, json=body)
        assert refused.status_code == 400, (path, refused.text)
        assert refused.json()["error"]["code"] == "payment_method_not_accepted"
    page = await client.get(urlsplit(data["paymentLinkUrl"]).path)
    assert "<form" not in page.text
    assert "form-mpesa" not in page.text


async def test_other_tenants_and_bad_capabilities_fail_closed(
    client: httpx.AsyncClient, operator: Merchant, tenant: Any, product: Any, account: Any
) -> None:
    data = await expiring_invoice(client, operator, tenant, product, account)
    base = "/api/v1/public/invoices"
    for public_id in ("x" * 16, "%00", "a" * 200, "not/valid"):
        for suffix in ("/payment-status", "/payments/stripe", "/payments/mollie"):
            method = "GET" if suffix == "/payment-status" else "POST"
            response = await client.request(
                method, f"{base}/{public_id}{suffix}", json={} if method == "POST" else None
            )
            # A control character is malformed input (422); the others name nothing (404).
            expected = 422 if public_id == "%00" else 404
            assert response.status_code == expected, (public_id, suffix, response.text)
    public_id = public_id_of(data)
    for attempt in ("TXN-000000000000", "' OR 1=1 --", "x" * 64):
        response = await client.get(
            f"{base}/{public_id}/payment-status", params={"attempt": attempt}
        )
        assert response.status_code == 200, response.text
        assert response.json()["data"]["attempt"] is None
        page = await client.get(f"{base}/{public_id}", params={"attempt": attempt})
        assert page.status_code == 200
    malformed = await client.get(
        f"{base}/{public_id}/payment-status", params={"attempt": "TXN-\x00"}
    )
    assert malformed.status_code == 422, malformed.text
    for body in ({"email": "a@b.example\x00"}, {"phone_number": "0712\x00"}, {"x": 1}):
        response = await client.post(f"{base}/{public_id}/payments/pesapal", json=body)
        assert response.status_code == 422, (body, response.text)
    back = await client.get(
        f"{base}/{public_id}/pesapal-return",
        params={"OrderTrackingId": "nope", "OrderMerchantReference": "x"},
    )
    assert back.status_code == 303
    assert back.headers["location"] == f"{base}/{public_id}"
    garbled = await client.get(
        f"{base}/{public_id}/pesapal-return",
        params={"OrderTrackingId": "nope\x00", "OrderMerchantReference": "x"},
    )
    assert garbled.status_code == 422
