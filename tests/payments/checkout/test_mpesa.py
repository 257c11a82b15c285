"""M-Pesa STK push end to end over real HTTP with the fake Daraja server."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from billing.core.db import Database
from billing.core.jobs import POLL_TASK, defer
from tests.fixtures.auth import Tokens
from tests.fixtures.waiting import eventually
from tests.payments.checkout.conftest import (
    LiveStack,
    mpesa_url,
    processed,
    provider_events,
)

pytestmark = [pytest.mark.usefixtures("checkout_ready"), pytest.mark.slow]
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
        json={"invoice_number": invoice["invoice_number"], "phone_number": phone},
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


def _stk_success(checkout_id: str, amount: int, receipt: str = "RCPT123") -> dict[str, Any]:
    return {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "m",
                "CheckoutRequestID": checkout_id,
                "ResultCode": 0,
                "ResultDesc": "ok",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": amount},
                        {"Name": "MpesaReceiptNumber", "Value": receipt},
                    ]
                },
            }
        }
    }


async def test_callback_delivered_three_times_concurrently_records_one_payment(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    invoice = await kes_invoice(http, tokens, "300")
    await scenario(live, result_code=0, manual=True)
    started = await initiate(http, invoice)
    checkout_id = started["checkout_request_id"]
    async with httpx.AsyncClient(timeout=15) as control:
        triggered = await control.post(
            live.daraja.url(f"/__control/stk/{checkout_id}/trigger"),
            json={"deliveries": 3},
        )
        assert triggered.status_code == 200, triggered.text
        assert {d["status_code"] for d in triggered.json()["deliveries"]} == {200}
        # A late failure for the same push, delivered after the success, changes nothing.
        await control.post(
            live.daraja.url("/__control/forge"),
            json={"url": mpesa_url(live), "checkout_request_id": checkout_id, "result_code": 1032},
        )
    concurrent = await asyncio.gather(
        *(http.post(mpesa_url(live), json=_stk_success(checkout_id, 300)) for _ in range(3))
    )
    assert {response.status_code for response in concurrent} == {200}
    assert concurrent[0].json() == {"ResultCode": 0, "ResultDesc": "Accepted"}

    async def paid() -> Any:
        state = await invoice_state(http, tokens, invoice["id"])
        return state if state["status"] == "paid" else None

    await eventually(paid)
    # Stored once per result (success, the late failure), each settled by its job.
    events = await processed(http, tokens, checkout_id, count=2)
    assert len(events) == 2
    payments = await http.get(f"{ADMIN}/invoices/{invoice['id']}/payments", headers=tokens.admin())
    assert [p["amount"] for p in payments.json()["data"]] == ["300.00"]


async def test_forged_stk_success_without_the_token_is_404_and_stores_nothing(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    invoice = await kes_invoice(http, tokens)
    await scenario(live, result_code=0, manual=True)
    started = await initiate(http, invoice)
    checkout_id = started["checkout_request_id"]
    body = _stk_success(checkout_id, 100)
    for url in (
        f"{live.app_url}/api/v1/callbacks/mpesa",
        mpesa_url(live, token="wrong-token"),
        mpesa_url(live, token=""),
    ):
        response = await http.post(url, json=body)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"
    assert await provider_events(http, tokens, checkout_id) == []
    state = await invoice_state(http, tokens, invoice["id"])
    assert state["amount_paid"] == "0.00"


async def test_forged_stk_success_with_the_token_is_checked_with_daraja(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    invoice = await kes_invoice(http, tokens)
    await scenario(live, result_code=0, manual=True)  # the payer has not answered
    started = await initiate(http, invoice)
    checkout_id = started["checkout_request_id"]
    # The right id, the right amount, a plausible receipt, and the URL's token: still only a
    # claim. STK Query says the push is being processed, so nothing moves.
    response = await http.post(mpesa_url(live), json=_stk_success(checkout_id, 100))
    assert response.status_code == 200
    (event,) = await processed(http, tokens, checkout_id)
    assert event["outcome"] == "processing"
    state = await invoice_state(http, tokens, invoice["id"])
    assert state["amount_paid"] == "0.00"
    attempt = await http.get(f"{ADMIN}/transactions/{started['reference']}", headers=tokens.admin())
    assert attempt.json()["data"]["status"] == "processing"
    # An id we never issued is stored and matched to nothing.
    unknown = await http.post(mpesa_url(live), json=_stk_success("ws_CO_UNKNOWN", 100))
    assert unknown.status_code == 200
    (event,) = await processed(http, tokens, "ws_CO_UNKNOWN")
    assert event["outcome"] == "unknown_attempt"
    malformed = await http.post(mpesa_url(live), json={"nothing": True})
    assert malformed.status_code == 400


async def test_genuine_deliveries_shuffled_with_failures_and_a_drop_settle_once(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack, database: Database
) -> None:
    invoices = [await kes_invoice(http, tokens, str(amount)) for amount in (110, 120, 130)]
    await scenario(live, result_code=0, manual=True, default=True)
    pushes = [await initiate(http, invoice) for invoice in invoices]
    await scenario(live, result_code=0, default=True)
    async with httpx.AsyncClient(timeout=15) as control:
        # Each push is decided; the first delivery of each is dropped by "the network".
        for push in pushes:
            await control.post(
                live.daraja.url(f"/__control/stk/{push['checkout_request_id']}/trigger"),
                json={"deliveries": 0},
            )
        # The last push's deliveries are all lost: only the poller can settle it.
        deliveries = [
            (push["checkout_request_id"], amount)
            for push, amount in zip(pushes[:2], (110, 120), strict=True)
        ]
        # Genuine successes three times each, shuffled with forged failures, concurrently.
        posts = []
        for round_ in range(3):
            for checkout_id, amount in reversed(deliveries) if round_ % 2 else deliveries:
                posts.append(http.post(mpesa_url(live), json=_stk_success(checkout_id, amount)))
                posts.append(
                    control.post(
                        live.daraja.url("/__control/forge"),
                        json={
                            "url": mpesa_url(live),
                            "checkout_request_id": checkout_id,
                            "result_code": 1032,
                        },
                    )
                )
        await asyncio.gather(*posts)
    lost = await http.get(f"{ADMIN}/transactions/{pushes[2]['reference']}", headers=tokens.admin())
    async with database.sessionmaker() as session, session.begin():
        await defer(
            session,
            POLL_TASK,
            args={"attempt_id": lost.json()["data"]["id"], "tenant_id": invoices[2]["tenant_id"]},
        )
    for invoice in invoices:

        async def paid(invoice_id: str = invoice["id"]) -> Any:
            state = await invoice_state(http, tokens, invoice_id)
            return state if state["status"] == "paid" else None

        await eventually(paid)
        payments = await http.get(
            f"{ADMIN}/invoices/{invoice['id']}/payments", headers=tokens.admin()
        )
        assert len(payments.json()["data"]) == 1


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
    transaction = await http.get(
        f"{ADMIN}/transactions/{started['reference']}", headers=tokens.admin()
    )
    async with database.sessionmaker() as session, session.begin():
        # The poll the initiation queued (due in 30 s), brought forward.
        await defer(
            session,
            POLL_TASK,
            args={
                "attempt_id": transaction.json()["data"]["id"],
                "tenant_id": invoice["tenant_id"],
            },
        )

    async def paid() -> Any:
        state = await invoice_state(http, tokens, invoice["id"])
        return state if state["status"] == "paid" else None

    await eventually(paid)


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
        "/api/v1/payments/mpesa/initiate",
        json={"invoice_number": invoice["invoice_number"], **body},
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
    # Numbers are sequential: the answer holds what paying needs and nothing to harvest.
    assert set(data) == {
        "invoice_number",
        "status",
        "customer_name",
        "currency",
        "amount_due",
        "due_date",
    }
    assert data["customer_name"].startswith("D")
    assert "*" in data["customer_name"]
    pay = await http.get(f"/api/v1/invoices/{invoice['invoice_number']}/pay")
    assert {m["method"] for m in pay.json()["data"]["methods"]} >= {"mpesa", "pesapal"}
    methods = await http.get("/api/v1/payment-methods")
    assert any(m["method"] == "mpesa" for m in methods.json()["data"])
    assert (await http.get("/api/v1/invoices/INV-NOPE")).status_code == 404


async def test_a_stalled_provider_call_holds_no_lock_on_the_attempt(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    invoice = await kes_invoice(http, tokens)
    await scenario(live, result_code=0, manual=True)
    started = await initiate(http, invoice)
    checkout_id = started["checkout_request_id"]
    async with httpx.AsyncClient(timeout=15) as control:
        # The next STK Query hangs for 4 s: a payer's status check gets stuck in it.
        await control.post(
            live.daraja.url("/__control/faults"),
            json={"path": "/mpesa/stkpushquery/v1/query", "delay_ms": 4000, "status": 500},
        )
        stuck = asyncio.create_task(http.get(f"/api/v1/payments/mpesa/{checkout_id}/status"))
        await asyncio.sleep(0.3)
        # Meanwhile Daraja decides the push and calls back; settlement must not wait for it.
        await control.post(live.daraja.url(f"/__control/stk/{checkout_id}/trigger"), json={})

        async def paid() -> Any:
            state = await invoice_state(http, tokens, invoice["id"])
            return state if state["status"] == "paid" else None

        await eventually(paid, within=3.0)
        assert not stuck.done()  # still waiting on the provider, and it blocked nothing
        response = await stuck
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "succeeded"


async def test_public_routes_never_take_or_give_the_internal_id(
    http: httpx.AsyncClient, tokens: Tokens
) -> None:
    invoice = await kes_invoice(http, tokens)
    by_id = await http.post(
        "/api/v1/payments/mpesa/initiate",
        json={"invoice_id": invoice["id"], "phone_number": "0708374149"},
    )
    assert by_id.status_code == 422
    both = await http.post(
        "/api/v1/payments/mpesa/initiate",
        json={
            "invoice_number": invoice["invoice_number"],
            "public_id": invoice["public_id"],
            "phone_number": "0708374149",
        },
    )
    assert both.status_code == 422
    by_public_id = await http.post(
        "/api/v1/payments/mpesa/initiate",
        json={"public_id": invoice["public_id"], "phone_number": "0708374149"},
    )
    assert by_public_id.status_code == 201, by_public_id.text
    assert invoice["id"] not in by_public_id.text
    summary = await http.get(f"/api/v1/invoices/{invoice['invoice_number']}/pay")
    assert invoice["id"] not in summary.text
    assert invoice["tenant_id"] not in summary.text
