"""Mollie end to end over real HTTP: first payment -> mandate -> recurring charges, webhooks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fixtures.auth import Tokens
from tests.fixtures.waiting import eventually
from tests.payments.cards.cards_support import (
    ADMIN,
    BILLING,
    CardsStack,
    Tenant,
    create_invoice,
    create_tenant,
    invoice_payments,
    invoice_state,
    list_methods,
    save_mollie_mandate,
    transaction,
)

pytestmark = pytest.mark.usefixtures("cards_ready")
RETURN_URL = "https://app.example/billing/return"


async def pay(http: httpx.AsyncClient, tenant: Tenant, invoice: Any) -> httpx.Response:
    return await http.post(f"{BILLING}/invoices/{invoice['id']}/pay", headers=tenant.owner, json={})


async def start_setup(http: httpx.AsyncClient, tenant: Tenant, method_type: str = "card") -> Any:
    response = await http.post(
        f"{BILLING}/payment-providers/mollie/setup",
        headers=tenant.owner,
        json={"method_type": method_type, "return_url": RETURN_URL},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def confirm(http: httpx.AsyncClient, tenant: Tenant, setup: Any) -> httpx.Response:
    return await http.post(
        f"{BILLING}/payment-providers/mollie/confirm",
        headers=tenant.owner,
        json={"confirmation_data": {"payment_id": setup["setup_ref"]}},
    )


class TestMandates:
    async def test_first_payment_creates_a_mandate_that_becomes_the_default(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        setup = await start_setup(http, tenant)

        assert setup["redirect_url"].startswith(cards.mollie.server.base_url)
        assert setup["next_action"]["kind"] == "redirect"
        first = cards.mollie.state.payments[setup["setup_ref"]]
        assert first["sequenceType"] == "first"
        assert first["method"] == "creditcard"
        assert first["amount"] == {"currency": "EUR", "value": "0.01"}
        assert first["webhookUrl"] == cards.mollie_webhook()
        assert "?token=" in first["webhookUrl"]
        page = await cards.mollie.visit_checkout(setup["redirect_url"], outcome="paid")
        assert page.headers["location"] == RETURN_URL

        confirmed = await confirm(http, tenant, setup)

        assert confirmed.status_code == 200, confirmed.text
        method = confirmed.json()["data"]
        assert (method["status"], method["is_default"]) == ("active", True)
        assert (method["method_type"], method["brand"], method["last4"]) == (
            "creditcard",
            "Mastercard",
            "6787",
        )
        assert (method["exp_month"], method["exp_year"]) == (12, 2029)
        assert method["mandate_status"] == "valid"

    async def test_the_webhook_stores_the_mandate_without_a_confirmation(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        setup = await start_setup(http, tenant, "directdebit")
        await cards.mollie.visit_checkout(setup["redirect_url"], outcome="paid", method="ideal")

        deliveries = await cards.mollie.webhook(setup["setup_ref"], repeat=2)

        assert {d["status_code"] for d in deliveries} == {200}
        await cards.settled(setup["setup_ref"], count=1)
        [method] = await eventually(lambda: list_methods(http, tenant))
        assert (method["id"], method["status"], method["is_default"]) == (
            setup["id"],
            "active",
            True,
        )
        assert (method["method_type"], method["last4"]) == ("directdebit", "0000")

    async def test_a_pending_mandate_is_saved_but_not_charged_until_valid(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        setup = await start_setup(http, tenant)
        await cards.mollie.visit_checkout(
            setup["redirect_url"], outcome="paid", mandate_status="pending"
        )

        confirmed = await confirm(http, tenant, setup)

        assert confirmed.status_code == 200, confirmed.text
        method = confirmed.json()["data"]
        assert (method["status"], method["mandate_status"], method["is_default"]) == (
            "pending",
            "pending",
            False,
        )
        invoice = await create_invoice(http, tokens, tenant)
        charge = await http.post(
            f"{BILLING}/invoices/{invoice['id']}/pay",
            headers=tenant.owner,
            json={"payment_method_id": method["id"]},
        )
        assert charge.status_code == 409
        assert charge.json()["error"]["code"] == "payment_method_not_active"

        mandate = cards.mollie.state.payments[setup["setup_ref"]]["mandateId"]
        await cards.mollie.control(f"mandates/{mandate}/status", {"status": "valid"})
        await cards.mollie.webhook(setup["setup_ref"])

        async def active() -> Any:
            [method] = await list_methods(http, tenant)
            return method if method["status"] == "active" else None

        method = await eventually(active)
        assert (method["status"], method["is_default"]) == ("active", True)

    async def test_an_unfinished_first_payment_is_409_and_a_failed_one_400(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        setup = await start_setup(http, tenant)

        unfinished = await confirm(http, tenant, setup)
        await cards.mollie.visit_checkout(setup["redirect_url"], outcome="failed")
        failed = await confirm(http, tenant, setup)
        await cards.mollie.webhook(setup["setup_ref"])

        assert unfinished.status_code == 409
        assert unfinished.json()["error"]["code"] == "payment_method_setup_incomplete"
        assert failed.status_code == 400
        assert failed.json()["error"]["code"] == "payment_method_setup_failed"

        async def failed_in_the_ledger() -> bool:
            status = await cards.fetchval(
                "SELECT status FROM payment_methods WHERE id = $1::uuid", setup["id"]
            )
            return bool(status == "failed")

        await eventually(failed_in_the_ledger)
        assert await list_methods(http, tenant) == []

    async def test_a_return_url_is_required(self, http: httpx.AsyncClient, tokens: Tokens) -> None:
        tenant = await create_tenant(http, tokens)

        response = await http.post(
            f"{BILLING}/payment-providers/mollie/setup",
            headers=tenant.owner,
            json={"method_type": "card"},
        )

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "return_url_required"

    async def test_deleting_revokes_the_mandate(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        method = await save_mollie_mandate(http, cards, tenant)

        removed = await http.delete(
            f"{BILLING}/payment-methods/{method['id']}", headers=tenant.owner
        )

        assert removed.status_code == 200, removed.text
        assert removed.json()["data"]["default_payment_method"] is None
        mandate_ref = await cards.fetchval(
            "SELECT provider_ref FROM payment_methods WHERE id = $1::uuid", method["id"]
        )
        assert cards.mollie.state.mandates[mandate_ref]["status"] == "invalid"
        assert await list_methods(http, tenant) == []


class TestRecurringCharges:
    async def test_card_mandate_charge_is_paid_from_the_fetched_payment(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        await save_mollie_mandate(http, cards, tenant)
        invoice = await create_invoice(http, tokens, tenant, "49.00")

        response = await pay(http, tenant, invoice)

        assert response.status_code == 201, response.text
        data = response.json()["data"]
        assert data["attempt"]["status"] == "succeeded"
        assert data["invoice"]["status"] == "paid"
        tr = data["attempt"]["provider_ref"]
        [created] = [
            r
            for r in cards.mollie.requests("/v2/payments")
            if r.json.get("sequenceType") == "recurring"
            and r.json["metadata"].get("invoice_id") == invoice["id"]
        ]
        assert created.json["amount"] == {"currency": "EUR", "value": "49.00"}
        assert created.json["mandateId"] == cards.mollie.state.payments[tr]["mandateId"]
        assert created.headers["idempotency-key"]
        fetched = [r for r in cards.mollie.requests(f"/v2/payments/{tr}") if r.method == "GET"]
        assert len(fetched) == 1

        deliveries = await cards.mollie.webhook(tr, repeat=3)

        assert {d["status_code"] for d in deliveries} == {200}
        payments = await invoice_payments(http, tokens, invoice["id"])
        assert [p["amount"] for p in payments] == ["49.00"]

    async def test_sepa_mandate_charge_is_paid_by_the_webhook(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        await save_mollie_mandate(http, cards, tenant, method_type="directdebit", paid_with="ideal")
        invoice = await create_invoice(http, tokens, tenant, "75.50")

        response = await http.post(
            f"{ADMIN}/invoices/{invoice['id']}/charge", headers=tokens.admin(), json={}
        )

        assert response.status_code == 201, response.text
        data = response.json()["data"]
        assert data["attempt"]["status"] == "processing"
        assert data["invoice"]["amount_paid"] == "0.00"
        tr = data["attempt"]["provider_ref"]
        await cards.mollie.webhook(tr)  # still pending: nothing changes
        await cards.settled(tr)
        assert (await invoice_state(http, tokens, invoice["id"]))["amount_paid"] == "0.00"

        await cards.mollie.control(f"payments/{tr}/status", {"status": "paid"})
        deliveries = await cards.mollie.webhook(tr, repeat=3)

        assert {d["status_code"] for d in deliveries} == {200}

        async def paid() -> Any:
            state = await invoice_state(http, tokens, invoice["id"])
            return state if state["status"] == "paid" else None

        state = await eventually(paid)
        await cards.settled(tr, count=4)  # every delivery settled; the later ones change nothing
        assert (state["status"], state["amount_paid"]) == ("paid", "75.50")
        payments = await invoice_payments(http, tokens, invoice["id"])
        assert [p["amount"] for p in payments] == ["75.50"]
        stored = await cards.fetchval(
            "SELECT count(*) FROM webhook_events WHERE provider = 'mollie' AND provider_ref = $1",
            tr,
        )
        assert stored == 4  # every delivery is kept; only the first paid one changed anything

    async def test_a_currency_mollie_cannot_charge_is_refused_before_any_call(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens, "KES")
        await save_mollie_mandate(http, cards, tenant)
        invoice = await create_invoice(http, tokens, tenant, "1000")
        sent_before = len(cards.mollie.requests())

        response = await pay(http, tenant, invoice)

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "currency_not_supported"
        assert len(cards.mollie.requests()) == sent_before
        assert (await invoice_state(http, tokens, invoice["id"]))["amount_paid"] == "0.00"

    async def test_unknown_and_malformed_deliveries(
        self, http: httpx.AsyncClient, cards: CardsStack
    ) -> None:
        sent_before = len(cards.mollie.requests())

        form = {"Content-Type": "application/x-www-form-urlencoded"}
        unknown = await http.post(
            cards.mollie_webhook(), content=b"id=tr_doesnotexist", headers=form
        )
        malformed = await http.post(cards.mollie_webhook(), content=b"nothing=here", headers=form)
        tokenless = await http.post("/api/v1/webhooks/mollie", content=b"id=tr_x1", headers=form)
        wrong = await http.post(
            "/api/v1/webhooks/mollie?token=guess", content=b"id=tr_x2", headers=form
        )

        assert unknown.status_code == 200
        assert unknown.json() == {"received": True}
        assert malformed.status_code == 400
        assert (tokenless.status_code, wrong.status_code) == (404, 404)
        await cards.settled("tr_doesnotexist")
        assert len(cards.mollie.requests()) == sent_before  # nothing of ours: no fetch
        stored = await cards.fetchval(
            "SELECT count(*) FROM webhook_events WHERE provider_ref IN ('tr_x1', 'tr_x2')"
        )
        assert stored == 0


class TestRefunds:
    async def test_pending_refunds_reach_the_ledger_when_mollie_reports_them(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        await save_mollie_mandate(http, cards, tenant)
        invoice = await create_invoice(http, tokens, tenant, "100.00")
        charged = await pay(http, tenant, invoice)
        reference = charged.json()["data"]["attempt"]["reference"]
        tr = charged.json()["data"]["attempt"]["provider_ref"]
        [payment] = await invoice_payments(http, tokens, invoice["id"])

        partial = await http.post(
            f"{ADMIN}/payments/{payment['id']}/refund",
            headers=tokens.admin(),
            json={"amount": "40.00", "reason": "Service outage"},
        )

        assert partial.status_code == 201, partial.text
        refund = partial.json()["data"]
        assert (refund["status"], refund["amount"]) == ("pending", "40.00")
        mollie_refund = cards.mollie.state.refunds[refund["provider_ref"]]
        assert mollie_refund["amount"] == {"currency": "EUR", "value": "40.00"}
        assert (await invoice_state(http, tokens, invoice["id"]))["amount_paid"] == "100.00"
        too_much = await http.post(
            f"{ADMIN}/payments/{payment['id']}/refund",
            headers=tokens.admin(),
            json={"amount": "60.01"},
        )
        assert too_much.status_code == 400
        assert too_much.json()["error"]["code"] == "refund_exceeds_refundable"

        await cards.mollie.control(
            f"refunds/{refund['provider_ref']}/status", {"status": "refunded"}
        )
        await cards.mollie.webhook(tr, repeat=2)

        async def refunded() -> Any:
            state = await invoice_state(http, tokens, invoice["id"])
            return state if state["amount_refunded"] == "40.00" else None

        state = await eventually(refunded)
        assert (state["amount_paid"], state["amount_refunded"]) == ("60.00", "40.00")
        recorded = await cards.fetchval(
            "SELECT provider_ref FROM refunds WHERE payment_id = $1::uuid", payment["id"]
        )
        assert recorded == refund["provider_ref"]

        async def refund_the_rest() -> httpx.Response | None:
            # A repeated notification's settlement job may still hold the payment's refund
            # lock: the route then answers 409 refund_in_progress and changes nothing.
            response = await http.post(
                f"{ADMIN}/payments/{payment['id']}/refund", headers=tokens.admin(), json={}
            )
            if response.status_code == 409:
                assert response.json()["error"]["code"] == "refund_in_progress"
                return None
            return response

        rest = await eventually(refund_the_rest)
        assert rest.json()["data"]["status"] == "pending"
        assert rest.json()["data"]["amount"] == "60.00"
        await cards.mollie.control(
            f"refunds/{rest.json()['data']['provider_ref']}/status", {"status": "refunded"}
        )
        await cards.mollie.webhook(tr)

        async def fully_refunded() -> Any:
            state = await invoice_state(http, tokens, invoice["id"])
            return state if state["amount_refunded"] == "100.00" else None

        state = await eventually(fully_refunded)
        assert (state["amount_paid"], state["amount_refunded"]) == ("0.00", "100.00")
        assert (await transaction(http, tokens, reference))["status"] == "refunded"
        refunds = await cards.fetchval(
            "SELECT count(*) FROM refunds WHERE payment_id = $1::uuid", payment["id"]
        )
        assert refunds == 2

    async def test_a_pending_refund_issues_its_credit_note_when_mollie_confirms(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        await save_mollie_mandate(http, cards, tenant)
        invoice = await create_invoice(http, tokens, tenant, "100.00")
        charged = await pay(http, tenant, invoice)
        tr = charged.json()["data"]["attempt"]["provider_ref"]
        [payment] = await invoice_payments(http, tokens, invoice["id"])

        response = await http.post(
            f"{ADMIN}/payments/{payment['id']}/refund",
            headers=tokens.admin(),
            json={"amount": "25.00", "reason": "Late delivery", "credit_note": True},
        )

        assert response.status_code == 201, response.text
        refund = response.json()["data"]
        assert (refund["status"], refund["credit_note_ids"]) == ("pending", [])
        assert (await invoice_state(http, tokens, invoice["id"]))["credit_notes"] == []
        await cards.mollie.control(
            f"refunds/{refund['provider_ref']}/status", {"status": "refunded"}
        )
        await cards.mollie.webhook(tr, repeat=2)

        async def credited() -> Any:
            state = await invoice_state(http, tokens, invoice["id"])
            return state if state["credit_notes"] else None

        # Settling the notification fetches the payment and its refunds from the fake Mollie
        # and issues the credit note: give a loaded machine time.
        state = await eventually(credited, within=30)
        [note] = state["credit_notes"]
        assert (note["total_amount"], note["settlement"], note["reason"]) == (
            "25.00",
            "refund",
            "Late delivery",
        )
        assert (state["amount_paid"], state["amount_credited"], state["balance"]) == (
            "75.00",
            "25.00",
            "0.00",
        )
        linked = await cards.fetchval(
            "SELECT credit_note_id FROM refunds WHERE payment_id = $1::uuid", payment["id"]
        )
        assert str(linked) == note["id"]
