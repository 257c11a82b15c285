"""M-Pesa C2B (customers paying the Paybill with an invoice number): a confirmation is applied
only once Daraja's Transaction Status API confirms it; forged ones change nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.fixtures.auth import Tokens
from tests.fixtures.waiting import eventually
from tests.payments.checkout.conftest import LiveStack, mpesa_url, processed, provider_events
from tests.payments.checkout.test_mpesa import invoice_state, kes_invoice

pytestmark = pytest.mark.usefixtures("checkout_ready")


async def customer_pays(
    live: LiveStack, invoice: Any, *, amount: str, genuine: bool = True, **fields: Any
) -> tuple[str, int]:
    """The fake Daraja posts a C2B confirmation for a payment to our Paybill; returns its
    TransID and the HTTP status our route answered."""
    trans_id = f"C2B{uuid.uuid4().hex[:7].upper()}"
    body = {
        "url": fields.pop("url", mpesa_url(live, "/callbacks/mpesa/confirmation")),
        "trans_id": trans_id,
        "amount": amount,
        "bill_ref": invoice["invoice_number"],
        "genuine": genuine,
        **fields,
    }
    async with httpx.AsyncClient(timeout=15) as control:
        response = await control.post(live.daraja.url("/__control/c2b"), json=body)
    assert response.status_code == 200, response.text
    (delivery,) = response.json()["deliveries"]
    return trans_id, int(delivery["status_code"])


async def test_a_genuine_c2b_payment_settles_once_daraja_confirms_it(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    invoice = await kes_invoice(http, tokens, "250")
    trans_id, status = await customer_pays(live, invoice, amount="250")
    assert status == 200

    async def paid() -> Any:
        state = await invoice_state(http, tokens, invoice["id"])
        return state if state["status"] == "paid" else None

    state = await eventually(paid)
    assert state["payment_method"] == "mpesa"
    # The confirmation, then Daraja's answer to our query, each stored and processed.
    events = await processed(http, tokens, trans_id, count=2)
    assert {event["kind"] for event in events} == {"c2b_confirmation", "transaction_status"}
    async with httpx.AsyncClient() as control:
        queries = (await control.get(live.daraja.url("/__control/status-queries"))).json()
    assert [q["transaction_id"] for q in queries if q["transaction_id"] == trans_id] == [trans_id]
    # Daraja retrying the confirmation changes nothing.
    async with httpx.AsyncClient(timeout=15) as control:
        again = await control.post(
            live.daraja.url("/__control/c2b"),
            json={
                "url": mpesa_url(live, "/callbacks/mpesa/confirmation"),
                "trans_id": trans_id,
                "amount": "250",
                "bill_ref": invoice["invoice_number"],
            },
        )
    assert again.status_code == 200
    payments = await http.get(
        f"/api/v1/admin/invoices/{invoice['id']}/payments", headers=tokens.admin()
    )
    assert [p["amount"] for p in payments.json()["data"]] == ["250.00"]


async def test_a_forged_confirmation_without_the_token_is_404_and_stores_nothing(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    invoice = await kes_invoice(http, tokens, "100")
    for url in (
        f"{live.app_url}/api/v1/callbacks/mpesa/confirmation",
        mpesa_url(live, "/callbacks/mpesa/confirmation", token="not-the-token"),
    ):
        trans_id, status = await customer_pays(live, invoice, amount="100", genuine=False, url=url)
        assert status == 404
        assert await provider_events(http, tokens, trans_id) == []
    assert (await invoice_state(http, tokens, invoice["id"]))["amount_paid"] == "0.00"


async def test_a_forged_confirmation_with_the_token_is_refused_by_daraja(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    invoice = await kes_invoice(http, tokens, "100")
    # Any TransID, the right amount, the invoice number, even the URL's token: Daraja has
    # never seen this transaction, so its Transaction Status answer refuses it.
    trans_id, status = await customer_pays(live, invoice, amount="100", genuine=False)
    assert status == 200
    events = await processed(http, tokens, trans_id, count=2)
    confirmation = next(e for e in events if e["kind"] == "c2b_confirmation")
    assert confirmation["outcome"] == "not_confirmed"
    assert (await invoice_state(http, tokens, invoice["id"]))["amount_paid"] == "0.00"


async def test_a_confirmation_for_another_shortcode_or_amount_is_refused(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    invoice = await kes_invoice(http, tokens, "100")
    trans_id, status = await customer_pays(live, invoice, amount="100", shortcode="999999")
    assert status == 400
    assert await provider_events(http, tokens, trans_id) == []
    # Daraja knows a payment of 10, the confirmation claims 100: the amounts must agree.
    trans_id = f"C2B{uuid.uuid4().hex[:7].upper()}"
    async with httpx.AsyncClient(timeout=15) as control:
        await control.post(
            live.daraja.url("/__control/c2b"),
            json={
                "url": f"{live.app_url}/nowhere",
                "trans_id": trans_id,
                "amount": "10",
                "bill_ref": invoice["invoice_number"],
            },
        )
        claimed = await http.post(
            mpesa_url(live, "/callbacks/mpesa/confirmation"),
            json={
                "TransactionType": "Pay Bill",
                "TransID": trans_id,
                "TransTime": "20261205101010",
                "TransAmount": "100.00",
                "BusinessShortCode": "174379",
                "BillRefNumber": invoice["invoice_number"],
                "MSISDN": "2547 ***** 149",
            },
        )
    assert claimed.status_code == 200
    events = await processed(http, tokens, trans_id, count=2)
    confirmation = next(e for e in events if e["kind"] == "c2b_confirmation")
    assert confirmation["outcome"] == "amount_mismatch"
    assert (await invoice_state(http, tokens, invoice["id"]))["amount_paid"] == "0.00"


async def test_validation_accepts_open_invoices_only_with_the_token(
    http: httpx.AsyncClient, tokens: Tokens, live: LiveStack
) -> None:
    invoice = await kes_invoice(http, tokens, "100")
    body = {
        "TransactionType": "Pay Bill",
        "TransID": "VAL123",
        "TransAmount": "100.00",
        "BusinessShortCode": "174379",
        "BillRefNumber": invoice["invoice_number"],
    }
    url = mpesa_url(live, "/callbacks/mpesa/validation")
    accepted = await http.post(url, json=body)
    assert accepted.json()["ResultCode"] == "0"
    too_much = await http.post(url, json={**body, "TransAmount": "100.01"})
    assert too_much.json()["ResultCode"] == "C2B00012"
    unknown = await http.post(url, json={**body, "BillRefNumber": "INV-NOPE"})
    assert unknown.json()["ResultCode"] == "C2B00012"
    tokenless = await http.post("/api/v1/callbacks/mpesa/validation", json=body)
    assert tokenless.status_code == 404
