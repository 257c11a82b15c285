"""M-Pesa STK push end to end over real HTTP with the fake Daraja server."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from billing.core.db import Database
from billing.core.tenancy import AccessScope, apply_scope
from billing.providers.http import build_http_client
from billing.providers.registry import ProviderFactory
from billing.worker.app import POLL_TASK, WorkerContext, create_worker_app
from billing.worker.queue import defer
from tests.checkout.conftest import LiveStack, eventually
from tests.fixtures.auth import Tokens

pytestmark = pytest.mark.usefixtures("checkout_ready")
ADMIN = "/api/v1/admin"


async def kes_invoice(http: httpx.AsyncClient, tokens: Tokens, amount: str = "100") -> Any:
    tenant = await http.post(
        f"{ADMIN}/tenants",
        headers=tokens.admin(),
        json={"name": f"Duka {uuid.uuid4().hex[:6]}", "default_currency": "KES"},
    )
    invoice = await http.post(
        f"{ADMIN}/invoices",
        headers=tokens.admin(),
        json={
            "tenant_id": tenant.json()["data"]["id"],
            "status": "issued",
            "items": [{"name": "Internet", "unit_price": amount, "tax_rate": "0"}],
        },
    )
    assert invoice.status_code == 201, invoice.text
    return invoice.json()["data"]


async def scenario(live: LiveStack, **fields: Any) -> None:
    async with httpx.AsyncClient() as control:
        response = await control.post(live.daraja.url("/__control/scenario"), json=fields)
        assert response.status_code == 200, response.text


async def initiate(http: httpx.AsyncClient, invoice: Any, phone: str = "0708374149") -> Any:
    response = await http.post(
        "/api/v1/payments/mpesa/initiate",
        json={"invoice_id": invoice["id"], "phone_number": phone},
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def invoice_state(http: httpx.AsyncClient, tokens: Tokens, invoice_id: str) -> Any:
    return (await http.get(f"{ADMIN}/invoices/{invoice_id}", headers=tokens.admin())).json()["data"]


async def test_stk_push_callback_pays_the_invoice(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    invoice = await kes_invoice(http, tokens)
    await scenario(live, result_code=0, delay_ms=50)
    started = await initiate(http, invoice)
    assert started["status"] == "pending"
    assert started["amount"] == "100.00"
    checkout_id = started["checkout_request_id"]

    async def paid() -> Any:
        state = await invoice_state(http, tokens, invoice["id"])
        return state if state["status"] == "paid" else None

    state = await eventually(paid)
    assert state["payment_method"] == "mpesa"
    status = await http.get(f"/api/v1/payments/mpesa/{checkout_id}/status")
    assert status.json()["data"]["status"] == "succeeded"
    public = await http.get(f"/api/v1/payments/{started['reference']}/status")
    assert public.json()["data"]["status"] == "succeeded"


@pytest.mark.parametrize(
    ("code", "status"), [(1032, "cancelled"), (1037, "expired"), (1, "failed")]
)
async def test_unsuccessful_results(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack, code: int, status: str
) -> None:
    invoice = await kes_invoice(http, tokens)
    await scenario(live, result_code=code, delay_ms=30)
    started = await initiate(http, invoice)

    async def settled() -> Any:
        response = await http.get(f"/api/v1/payments/{started['reference']}/status")
        return response.json()["data"] if response.json()["data"]["status"] != "pending" else None

    assert (await eventually(settled))["status"] == status
    state = await invoice_state(http, tokens, invoice["id"])
    assert state["amount_paid"] == "0.00"


async def test_callback_delivered_three_times_concurrently_records_one_payment(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    invoice = await kes_invoice(http, tokens, "300")
    await scenario(live, result_code=0, manual=True)
    started = await initiate(http, invoice)
    async with httpx.AsyncClient(timeout=15) as control:
        triggered = await control.post(
            live.daraja.url(f"/__control/stk/{started['checkout_request_id']}/trigger"),
            json={"deliveries": 3},
        )
        assert triggered.status_code == 200, triggered.text
        # A late failure for the same push, delivered after the success, changes nothing.
        await control.post(
            live.daraja.url("/__control/forge"),
            json={
                "url": f"{live.app_url}/api/v1/callbacks/mpesa",
                "checkout_request_id": started["checkout_request_id"],
                "result_code": 1032,
            },
        )
    concurrent = await asyncio.gather(
        *(
            http.post(
                "/api/v1/callbacks/mpesa",
                json={
                    "Body": {
                        "stkCallback": {
                            "MerchantRequestID": "m",
                            "CheckoutRequestID": started["checkout_request_id"],
                            "ResultCode": 0,
                            "ResultDesc": "ok",
                            "CallbackMetadata": {
                                "Item": [
                                    {"Name": "Amount", "Value": 300},
                                    {"Name": "MpesaReceiptNumber", "Value": "RCPT123"},
                                ]
                            },
                        }
                    }
                },
            )
            for _ in range(3)
        )
    )
    assert {response.status_code for response in concurrent} == {200}
    assert concurrent[0].json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    payments = await http.get(f"{ADMIN}/invoices/{invoice['id']}/payments", headers=tokens.admin())
    assert [p["amount"] for p in payments.json()["data"]] == ["300.00"]
    state = await invoice_state(http, tokens, invoice["id"])
    assert state["status"] == "paid"


async def test_forged_callbacks_change_nothing(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    invoice = await kes_invoice(http, tokens)
    await scenario(live, result_code=0, manual=True)
    started = await initiate(http, invoice)
    async with httpx.AsyncClient(timeout=15) as control:
        for forged in (
            {"checkout_request_id": "ws_CO_UNKNOWN", "amount": 100},
            {"checkout_request_id": started["checkout_request_id"], "amount": 1},
        ):
            response = await control.post(
                live.daraja.url("/__control/forge"),
                json={"url": f"{live.app_url}/api/v1/callbacks/mpesa", "result_code": 0, **forged},
            )
            assert response.status_code == 200
    state = await invoice_state(http, tokens, invoice["id"])
    assert state["amount_paid"] == "0.00"
    attempt = await http.get(f"{ADMIN}/transactions/{started['reference']}", headers=tokens.admin())
    assert attempt.json()["data"]["status"] == "pending"
    assert attempt.json()["data"]["gateway_data"]["rejected_amount"] == "1.00"
    malformed = await http.post("/api/v1/callbacks/mpesa", json={"nothing": True})
    assert malformed.status_code == 400


async def test_dropped_callback_is_settled_by_the_worker(
    http: httpx.AsyncClient,
    tokens: Tokens,
    live: LiveStack,
    database: Database,
) -> None:
    invoice = await kes_invoice(http, tokens)
    await scenario(live, result_code=0, drop=True)
    started = await initiate(http, invoice)
    await asyncio.sleep(0.2)  # the fake decides the push; its callback is dropped
    state = await invoice_state(http, tokens, invoice["id"])
    assert state["amount_paid"] == "0.00"

    async with database.sessionmaker() as session, session.begin():
        await apply_scope(session, AccessScope.admin())
        transaction = await http.get(
            f"{ADMIN}/transactions/{started['reference']}", headers=tokens.admin()
        )
        await defer(session, POLL_TASK, args={"attempt_id": transaction.json()["data"]["id"]})
    http_client = build_http_client()
    context = WorkerContext(database, ProviderFactory(live.provider_settings, http_client))
    queue = create_worker_app(live.settings, context)
    async with queue.open_async():
        await queue.run_worker_async(wait=False, install_signal_handlers=False, listen_notify=False)
    await http_client.aclose()
    state = await invoice_state(http, tokens, invoice["id"])
    assert state["status"] == "paid"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"phone_number": "12345"}, 422, "invalid_phone_number"),
        ({"phone_number": "+255712345678"}, 422, "invalid_phone_number"),
        ({"phone_number": "0712345678", "amount": "10.50"}, 422, "invalid_amount"),
        ({"phone_number": "0712345678", "amount": "1000"}, 400, "amount_exceeds_balance"),
    ],
)
async def test_initiate_refusals(
    http: httpx.AsyncClient, tokens: Tokens, body: dict[str, Any], status: int, code: str
) -> None:
    invoice = await kes_invoice(http, tokens)
    response = await http.post(
        "/api/v1/payments/mpesa/initiate", json={"invoice_id": invoice["id"], **body}
    )
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


async def test_token_expiry_is_refreshed(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    invoice = await kes_invoice(http, tokens)
    await scenario(live, result_code=0, manual=True)
    await initiate(http, invoice)
    async with httpx.AsyncClient() as control:
        await control.post(live.daraja.url("/__control/expire-tokens"), json={})
    second = await kes_invoice(http, tokens)
    started = await initiate(http, second)
    assert started["status"] == "pending"


async def test_checkout_summary_and_methods(http: httpx.AsyncClient, tokens: Tokens) -> None:
    invoice = await kes_invoice(http, tokens, "250")
    summary = await http.get(f"/api/v1/invoices/{invoice['invoice_number']}")
    assert summary.status_code == 200
    data = summary.json()["data"]
    assert data["amount_due"] == "250.00"
    assert "customer" not in data
    assert set(data) >= {"customer_name", "currency", "total_amount"}
    pay = await http.get(f"/api/v1/invoices/{invoice['invoice_number']}/pay")
    assert {m["method"] for m in pay.json()["data"]["methods"]} >= {"mpesa", "pesapal"}
    methods = await http.get("/api/v1/payment-methods")
    assert any(m["method"] == "mpesa" for m in methods.json()["data"])
    assert (await http.get("/api/v1/invoices/INV-NOPE")).status_code == 404
