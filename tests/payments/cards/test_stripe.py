"""Stripe end to end over real HTTP: save a card, charge it off-session, webhooks, refunds."""

from __future__ import annotations

import json
import random
import time
import uuid
from typing import Any

import httpx
import pytest
import stripe

from billing.core.db import Database
from billing.core.tenancy import AccessScope, apply_scope
from billing.payments.callback_urls import CallbackUrls
from billing.payments.charges.service import charge as charge_service
from billing.providers.http import build_http_client
from billing.providers.registry import ProviderFactory
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
    save_stripe_method,
    transaction,
)
from tests.providers.stripe.stripe_support import SECRET_KEY, WEBHOOK_SECRET

pytestmark = pytest.mark.usefixtures("cards_ready")


async def pay(http: httpx.AsyncClient, tenant: Tenant, invoice: Any, **body: Any) -> httpx.Response:
    return await http.post(
        f"{BILLING}/invoices/{invoice['id']}/pay", headers=tenant.owner, json=body
    )


async def stripe_api(cards: CardsStack, method: str, path: str, **params: str) -> Any:
    """Act at Stripe directly, as the operator would in Stripe's dashboard."""
    async with httpx.AsyncClient(timeout=15) as client:
        response = await client.request(
            method,
            cards.stripe.server.url(path),
            data=params,
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
        )
    assert response.status_code == 200, response.text
    return response.json()


async def provider_ref(cards: CardsStack, method_id: str) -> str:
    ref: str = await cards.fetchval(
        "SELECT provider_ref FROM payment_methods WHERE id = $1::uuid", method_id
    )
    return ref


class TestSavingACard:
    async def test_setup_confirm_lists_the_method_as_default(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)

        setup = await http.post(
            f"{BILLING}/payment-providers/stripe/setup",
            headers=tenant.owner,
            json={"method_type": "card"},
        )

        assert setup.status_code == 200, setup.text
        started = setup.json()["data"]
        assert started["status"] == "setup_pending"
        assert started["client_secret"].startswith(f"{started['setup_ref']}_secret_")
        assert started["next_action"]["kind"] == "use_client_secret"
        assert await list_methods(http, tenant) == []  # unfinished setups are not listed

        await cards.stripe.control(
            f"setup_intents/{started['setup_ref']}/confirm", {"payment_method": "pm_card_visa"}
        )
        confirmed = await http.post(
            f"{BILLING}/payment-providers/stripe/confirm",
            headers=tenant.owner,
            json={"confirmation_data": {"setup_intent_id": started["setup_ref"]}},
        )

        assert confirmed.status_code == 200, confirmed.text
        method = confirmed.json()["data"]
        assert method["id"] == started["id"]
        assert {k: method[k] for k in ("provider", "method_type", "status", "is_default")} == {
            "provider": "stripe",
            "method_type": "card",
            "status": "active",
            "is_default": True,
        }
        assert (method["brand"], method["last4"]) == ("visa", "4242")
        assert (method["exp_month"], method["exp_year"]) == (12, 2034)
        assert method["mandate_status"] == "valid"
        listed = await list_methods(http, tenant)
        assert [m["id"] for m in listed] == [method["id"]]
        assert "4242424242424242" not in json.dumps(listed)

    async def test_the_customer_is_created_once_and_the_second_method_is_not_default(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)

        first = await save_stripe_method(http, cards, tenant)
        second = await save_stripe_method(http, cards, tenant, "pm_card_mastercard")

        customers = [
            r
            for r in cards.stripe.requests("/v1/customers")
            if r.params.get("metadata", {}).get("tenant_id") == tenant.id
        ]
        assert len(customers) == 1
        assert (first["is_default"], second["is_default"]) == (True, False)
        listed = await list_methods(http, tenant)
        assert [m["id"] for m in listed] == [first["id"], second["id"]]

        made_default = await http.post(
            f"{BILLING}/payment-methods/{second['id']}/default", headers=tenant.owner
        )

        assert made_default.status_code == 200, made_default.text
        assert made_default.json()["data"]["is_default"] is True
        listed = await list_methods(http, tenant)
        assert [(m["id"], m["is_default"]) for m in listed] == [
            (second["id"], True),
            (first["id"], False),
        ]

    async def test_add_payment_method_starts_the_same_setup(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)

        added = await http.post(
            f"{BILLING}/payment-methods",
            headers=tenant.owner,
            json={"provider_slug": "stripe", "method_type": "card"},
        )

        assert added.status_code == 201, added.text
        data = added.json()["data"]
        assert data["status"] == "setup_pending"
        assert data["client_secret"]
        await cards.stripe.control(
            f"setup_intents/{data['setup_ref']}/confirm", {"payment_method": "pm_card_visa"}
        )
        confirmed = await http.post(
            f"{BILLING}/payment-providers/stripe/confirm",
            headers=tenant.owner,
            json={"confirmation_data": {"setup_id": data["id"]}},
        )
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["data"]["status"] == "active"

    async def test_the_webhook_saves_a_method_the_browser_never_confirmed(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        setup = await http.post(
            f"{BILLING}/payment-providers/stripe/setup", headers=tenant.owner, json={}
        )
        seti = setup.json()["data"]["setup_ref"]
        await cards.stripe.control(
            f"setup_intents/{seti}/confirm", {"payment_method": "pm_card_visa"}
        )

        events = cards.stripe.event_ids("setup_intent.succeeded", seti)
        deliveries = await cards.stripe.deliver(cards.stripe_webhook, events, repeat=2)

        assert {d["status_code"] for d in deliveries} == {200}
        listed = await eventually(lambda: list_methods(http, tenant))
        assert [(m["status"], m["is_default"]) for m in listed] == [("active", True)]
        again = await http.post(
            f"{BILLING}/payment-providers/stripe/confirm",
            headers=tenant.owner,
            json={"confirmation_data": {"setup_intent": seti}},
        )
        assert again.status_code == 200
        assert again.json()["data"]["id"] == listed[0]["id"]

    async def test_a_setup_the_payer_has_not_finished_is_409(
        self, http: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        tenant = await create_tenant(http, tokens)
        setup = await http.post(
            f"{BILLING}/payment-providers/stripe/setup", headers=tenant.owner, json={}
        )

        confirmed = await http.post(
            f"{BILLING}/payment-providers/stripe/confirm",
            headers=tenant.owner,
            json={"confirmation_data": {"setup_intent_id": setup.json()["data"]["setup_ref"]}},
        )

        assert confirmed.status_code == 409
        assert confirmed.json()["error"]["code"] == "payment_method_setup_incomplete"

    async def test_another_tenants_setup_cannot_be_confirmed(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        owner = await create_tenant(http, tokens)
        intruder = await create_tenant(http, tokens)
        setup = await http.post(
            f"{BILLING}/payment-providers/stripe/setup", headers=owner.owner, json={}
        )
        seti = setup.json()["data"]["setup_ref"]
        await cards.stripe.control(
            f"setup_intents/{seti}/confirm", {"payment_method": "pm_card_visa"}
        )

        confirmed = await http.post(
            f"{BILLING}/payment-providers/stripe/confirm",
            headers=intruder.owner,
            json={"confirmation_data": {"setup_intent_id": seti}},
        )

        assert confirmed.status_code == 404
        assert confirmed.json()["error"]["code"] == "payment_method_setup_not_found"
        assert await list_methods(http, intruder) == []


class TestCharging:
    async def test_off_session_charge_pays_the_invoice(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        await save_stripe_method(http, cards, tenant)
        invoice = await create_invoice(http, tokens, tenant, "49.00")

        response = await pay(http, tenant, invoice)

        assert response.status_code == 201, response.text
        data = response.json()["data"]
        assert data["attempt"]["status"] == "succeeded"
        assert data["attempt"]["provider"] == "stripe"
        assert data["invoice"]["status"] == "paid"
        assert data["invoice"]["payment_method"] == "stripe"
        attempt = await transaction(http, tokens, data["attempt"]["reference"])
        [created] = [
            r
            for r in cards.stripe.requests("/v1/payment_intents")
            if r.method == "POST" and r.params["metadata"].get("attempt_id") == attempt["id"]
        ]
        assert created.headers["idempotency-key"] == f"{attempt['id']}:payment_intent"
        assert (created.params["off_session"], created.params["confirm"]) == ("true", "true")
        assert (created.params["amount"], created.params["currency"]) == ("4900", "eur")

        # Stripe's webhooks for it, delivered three times, change nothing more.
        pi = data["attempt"]["provider_ref"]
        events = cards.stripe.event_ids("payment_intent.succeeded", pi)
        deliveries = await cards.stripe.deliver(cards.stripe_webhook, events, repeat=3)

        assert {d["status_code"] for d in deliveries} == {200}
        payments = await invoice_payments(http, tokens, invoice["id"])
        assert [p["amount"] for p in payments] == ["49.00"]

    async def test_a_retried_request_replays_instead_of_charging_again(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        await save_stripe_method(http, cards, tenant)
        invoice = await create_invoice(http, tokens, tenant)
        headers = {**tenant.owner, "Idempotency-Key": f"pay-{invoice['id']}"}
        sent_before = len(cards.stripe.requests("/v1/payment_intents"))

        first = await http.post(f"{BILLING}/invoices/{invoice['id']}/pay", headers=headers, json={})
        again = await http.post(f"{BILLING}/invoices/{invoice['id']}/pay", headers=headers, json={})

        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json()["data"]["attempt"] == first.json()["data"]["attempt"]
        assert len(cards.stripe.requests("/v1/payment_intents")) == sent_before + 1

    async def test_the_operator_charges_the_default_method(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        await save_stripe_method(http, cards, tenant)
        invoice = await create_invoice(http, tokens, tenant, "120.00")

        response = await http.post(
            f"{ADMIN}/invoices/{invoice['id']}/charge", headers=tokens.admin(), json={}
        )

        assert response.status_code == 201, response.text
        assert response.json()["data"]["invoice"]["status"] == "paid"
        assert response.json()["data"]["invoice"]["amount_paid"] == "120.00"

    @pytest.mark.parametrize(
        ("currency", "price", "units"), [("JPY", "5000", "5000"), ("KWD", "12.340", "12340")]
    )
    async def test_zero_and_three_decimal_currencies(
        self,
        http: httpx.AsyncClient,
        tokens: Tokens,
        cards: CardsStack,
        currency: str,
        price: str,
        units: str,
    ) -> None:
        tenant = await create_tenant(http, tokens, currency)
        await save_stripe_method(http, cards, tenant)
        invoice = await create_invoice(http, tokens, tenant, price)

        response = await pay(http, tenant, invoice)

        assert response.status_code == 201, response.text
        pi = response.json()["data"]["attempt"]["provider_ref"]
        intent = cards.stripe.state.payment_intents[pi]
        assert (intent["amount"], intent["currency"]) == (int(units), currency.lower())
        assert response.json()["data"]["invoice"]["status"] == "paid"

    async def test_a_decline_keeps_the_failed_attempt_with_its_reason(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        await save_stripe_method(http, cards, tenant, "pm_card_chargeDeclined")
        invoice = await create_invoice(http, tokens, tenant)

        response = await pay(http, tenant, invoice)

        assert response.status_code == 402, response.text
        error = response.json()["error"]
        assert error["code"] == "payment_failed"
        [detail] = error["details"]
        assert (detail["status"], detail["failure_code"]) == ("failed", "card_declined")
        assert detail["decline_code"] == "generic_decline"
        assert detail["next_action"]["kind"] == "use_client_secret"
        assert detail["next_action"]["client_secret"].startswith(detail["provider_ref"])
        attempt = await transaction(http, tokens, detail["reference"])
        assert (attempt["status"], attempt["failure_code"]) == ("failed", "card_declined")
        assert detail["next_action"]["client_secret"] not in json.dumps(attempt)
        state = await invoice_state(http, tokens, invoice["id"])
        assert (state["status"], state["amount_paid"]) == ("issued", "0.00")

    async def test_a_provider_error_keeps_the_failed_attempt_and_tells_the_saas(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        hooked = await http.post(
            "/api/v1/admin/webhook-endpoints",
            json={"url": "https://saas.example/hooks", "event_types": ["payment.failed"]},
            headers=tokens.admin(),
        )
        assert hooked.status_code == 201, hooked.text
        tenant = await create_tenant(http, tokens)
        await save_stripe_method(http, cards, tenant)
        invoice = await create_invoice(http, tokens, tenant)
        await cards.stripe.control("faults", {"status": 500, "path": "/v1/payment_intents"})

        response = await pay(http, tenant, invoice)

        assert response.status_code in (502, 503), response.text
        attempts = await http.get(
            f"/api/v1/admin/transactions?tenant_id={tenant.id}", headers=tokens.admin()
        )
        [attempt] = [a for a in attempts.json()["data"] if a["invoice_id"] == invoice["id"]]
        assert attempt["status"] == "failed"
        deliveries = await http.get(
            "/api/v1/admin/deliveries?event_type=payment.failed", headers=tokens.admin()
        )
        assert deliveries.status_code == 200, deliveries.text
        endpoint_id = hooked.json()["data"]["id"]
        events = [
            d
            for d in deliveries.json()["data"]
            if d["tenant_id"] == str(tenant.id) and d["endpoint_id"] == endpoint_id
        ]
        assert len(events) == 1
        await http.patch(
            f"/api/v1/admin/webhook-endpoints/{endpoint_id}",
            json={"enabled": False},
            headers=tokens.admin(),
        )

    async def test_authentication_required_asks_for_the_payer(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        await save_stripe_method(http, cards, tenant, "pm_card_authenticationRequired")
        invoice = await create_invoice(http, tokens, tenant)

        response = await http.post(
            f"{ADMIN}/invoices/{invoice['id']}/charge", headers=tokens.admin(), json={}
        )

        assert response.status_code == 402, response.text
        error = response.json()["error"]
        assert "authenticate" in error["message"]
        [detail] = error["details"]
        assert detail["failure_code"] == "authentication_required"
        assert detail["next_action"]["client_secret"]
        attempt = await transaction(http, tokens, detail["reference"])
        assert attempt["status"] == "failed"
        assert attempt["gateway_data"]["next_action"] == "use_client_secret"
        state = await invoice_state(http, tokens, invoice["id"])
        assert state["amount_paid"] == "0.00"

    async def test_sepa_debit_is_paid_when_the_webhook_says_so_in_any_order(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        await save_stripe_method(http, cards, tenant, "pm_sepa_debit", "sepa_debit")
        invoice = await create_invoice(http, tokens, tenant, "80.00")

        response = await pay(http, tenant, invoice)

        assert response.status_code == 201, response.text
        data = response.json()["data"]
        assert data["attempt"]["status"] == "processing"
        assert data["invoice"]["status"] == "issued"
        second = await pay(http, tenant, invoice)
        assert second.status_code == 409
        assert second.json()["error"]["code"] == "payment_in_progress"

        pi = data["attempt"]["provider_ref"]
        await cards.stripe.control(f"payment_intents/{pi}/settle", {"outcome": "succeeded"})
        events = [
            *cards.stripe.event_ids("payment_intent.processing", pi),
            *cards.stripe.event_ids("payment_intent.succeeded", pi),
            *[
                event_id
                for charge in cards.stripe.state.charges.values()
                if charge["payment_intent"] == pi
                for event_id in cards.stripe.event_ids("charge.succeeded", charge["id"])
            ],
        ]
        random.Random(7).shuffle(events)
        deliveries = await cards.stripe.deliver(cards.stripe_webhook, events, repeat=3)

        assert len(deliveries) == 3 * len(events)
        assert {d["status_code"] for d in deliveries} == {200}

        async def paid() -> Any:
            state = await invoice_state(http, tokens, invoice["id"])
            return state if state["status"] == "paid" else None

        state = await eventually(paid)
        assert (state["status"], state["amount_paid"]) == ("paid", "80.00")
        payments = await invoice_payments(http, tokens, invoice["id"])
        assert [p["amount"] for p in payments] == ["80.00"]
        stored = await cards.fetchval(
            "SELECT count(*) FROM webhook_events WHERE provider = 'stripe' AND provider_ref = $1",
            pi,
        )
        assert stored == 2  # processing and succeeded; charge events are not about the intent

    async def test_no_default_method_is_400(self, http: httpx.AsyncClient, tokens: Tokens) -> None:
        tenant = await create_tenant(http, tokens)
        invoice = await create_invoice(http, tokens, tenant)

        response = await pay(http, tenant, invoice)

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "no_default_payment_method"


class TestWebhookSignature:
    """Deliveries that fail verification change nothing and leave nothing behind."""

    async def _processing_then_settled(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> tuple[Any, str, bytes]:
        tenant = await create_tenant(http, tokens)
        await save_stripe_method(http, cards, tenant, "pm_sepa_debit", "sepa_debit")
        invoice = await create_invoice(http, tokens, tenant, "25.00")
        response = await pay(http, tenant, invoice)
        pi = response.json()["data"]["attempt"]["provider_ref"]
        await cards.stripe.control(f"payment_intents/{pi}/settle", {"outcome": "succeeded"})
        [event_id] = cards.stripe.event_ids("payment_intent.succeeded", pi)
        payload = json.dumps(cards.stripe.state.events[event_id], indent=2).encode()
        return invoice, event_id, payload

    async def _nothing_happened(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack, invoice: Any, event: str
    ) -> None:
        state = await invoice_state(http, tokens, invoice["id"])
        assert state["amount_paid"] == "0.00"
        stored = await cards.fetchval(
            "SELECT count(*) FROM webhook_events WHERE provider = 'stripe' AND dedupe_key = $1",
            event,
        )
        assert stored == 0

    @pytest.mark.parametrize("case", ["wrong_secret", "stale", "tampered", "missing"])
    async def test_refused_deliveries(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack, case: str
    ) -> None:
        invoice, event_id, payload = await self._processing_then_settled(http, tokens, cards)
        now = int(time.time())
        body = payload
        headers: dict[str, str] = {"Content-Type": "application/json"}
        if case == "wrong_secret":
            headers["Stripe-Signature"] = stripe.WebhookSignature.generate_signature_header(
                payload.decode(), "whsec_someoneelse0123456789", timestamp=now
            )
        elif case == "stale":
            headers["Stripe-Signature"] = stripe.WebhookSignature.generate_signature_header(
                payload.decode(), WEBHOOK_SECRET, timestamp=now - 301
            )
        elif case == "tampered":
            headers["Stripe-Signature"] = stripe.WebhookSignature.generate_signature_header(
                payload.decode(), WEBHOOK_SECRET, timestamp=now
            )
            body = payload.replace(b'"amount": 2500', b'"amount": 2501')
            assert body != payload

        response = await http.post("/api/v1/webhooks/stripe", content=body, headers=headers)

        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "webhook_invalid"
        await self._nothing_happened(http, tokens, cards, invoice, event_id)

    async def test_the_official_helpers_header_is_accepted_once(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        invoice, event_id, payload = await self._processing_then_settled(http, tokens, cards)
        header = stripe.WebhookSignature.generate_signature_header(
            payload.decode(), WEBHOOK_SECRET, timestamp=int(time.time())
        )
        # The official SDK agrees with what we are about to be sent.
        stripe.Webhook.construct_event(payload.decode(), header, WEBHOOK_SECRET)

        for _ in range(2):
            response = await http.post(
                "/api/v1/webhooks/stripe",
                content=payload,
                headers={"Content-Type": "application/json", "Stripe-Signature": header},
            )
            assert response.status_code == 200, response.text
            assert response.json() == {"received": True}

        async def paid() -> Any:
            state = await invoice_state(http, tokens, invoice["id"])
            return state if state["status"] == "paid" else None

        state = await eventually(paid)
        assert (state["status"], state["amount_paid"]) == ("paid", "25.00")
        await cards.settled(cards.stripe.state.events[event_id]["data"]["object"]["id"])
        outcome = await cards.fetchval(
            "SELECT outcome FROM webhook_events WHERE provider = 'stripe' AND dedupe_key = $1",
            event_id,
        )
        assert outcome == "succeeded"


class TestRefunds:
    async def _paid(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack, amount: str
    ) -> tuple[Any, Any, str]:
        tenant = await create_tenant(http, tokens)
        await save_stripe_method(http, cards, tenant)
        invoice = await create_invoice(http, tokens, tenant, amount)
        response = await pay(http, tenant, invoice)
        assert response.status_code == 201, response.text
        [payment] = await invoice_payments(http, tokens, invoice["id"])
        return invoice, payment, response.json()["data"]["attempt"]["reference"]

    async def test_partial_then_full_refund_through_stripe(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        invoice, payment, reference = await self._paid(http, tokens, cards, "100.00")

        partial = await http.post(
            f"{ADMIN}/payments/{payment['id']}/refund",
            headers=tokens.admin(),
            json={"amount": "30.00", "reason": "requested_by_customer"},
        )

        assert partial.status_code == 201, partial.text
        refund = partial.json()["data"]
        assert (refund["status"], refund["amount"]) == ("succeeded", "30.00")
        assert refund["provider_ref"].startswith("re_")
        assert cards.stripe.state.refunds[refund["provider_ref"]]["amount"] == 3000
        state = await invoice_state(http, tokens, invoice["id"])
        assert (state["amount_paid"], state["amount_refunded"]) == ("70.00", "30.00")
        assert state["status"] == "issued"

        rest = await http.post(
            f"{ADMIN}/payments/{payment['id']}/refund", headers=tokens.admin(), json={}
        )

        assert rest.status_code == 201, rest.text
        assert rest.json()["data"]["amount"] == "70.00"
        state = await invoice_state(http, tokens, invoice["id"])
        assert (state["amount_paid"], state["amount_refunded"]) == ("0.00", "100.00")
        assert (await transaction(http, tokens, reference))["status"] == "refunded"

        # Stripe's own refund events, replayed, record nothing more.
        pi = (await transaction(http, tokens, reference))["provider_ref"]
        charge_id = cards.stripe.state.payment_intents[pi]["latest_charge"]
        events = cards.stripe.event_ids("charge.refunded", charge_id)
        assert len(events) == 2
        await cards.stripe.deliver(cards.stripe_webhook, events, repeat=2)

        async def replays_settled() -> bool:
            # Their settlement jobs hold the payment's refund lock while they reconcile; a
            # refund asked meanwhile would rightly answer 409 refund_in_progress.
            waiting = await cards.fetchval(
                "SELECT count(*) FROM webhook_events WHERE dedupe_key = ANY($1::text[])"
                " AND processed_at IS NULL",
                events,
            )
            return int(waiting) == 0

        await eventually(replays_settled)
        refunds = await cards.fetchval(
            "SELECT count(*) FROM refunds WHERE payment_id = $1::uuid", payment["id"]
        )
        assert refunds == 2
        too_much = await http.post(
            f"{ADMIN}/payments/{payment['id']}/refund", headers=tokens.admin(), json={}
        )
        assert too_much.status_code == 400, too_much.text

    async def test_a_refund_with_a_credit_note(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        invoice, payment, _ = await self._paid(http, tokens, cards, "100.00")

        response = await http.post(
            f"{ADMIN}/payments/{payment['id']}/refund",
            headers=tokens.admin(),
            json={"amount": "30.00", "reason": "Damaged", "credit_note": True},
        )

        assert response.status_code == 201, response.text
        refund = response.json()["data"]
        assert refund["status"] == "succeeded"
        assert cards.stripe.state.refunds[refund["provider_ref"]]["amount"] == 3000
        [credit_note_id] = refund["credit_note_ids"]
        note = (
            await http.get(f"{ADMIN}/credit-notes/{credit_note_id}", headers=tokens.admin())
        ).json()["data"]
        assert (note["total_amount"], note["settlement"], note["reason"]) == (
            "30.00",
            "refund",
            "Damaged",
        )
        state = await invoice_state(http, tokens, invoice["id"])
        assert (state["amount_paid"], state["amount_credited"], state["balance"]) == (
            "70.00",
            "30.00",
            "0.00",
        )
        assert state["status"] == "paid"

    async def test_a_credit_note_never_refunds_a_card_payment_behind_stripes_back(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        invoice, payment, _ = await self._paid(http, tokens, cards, "100.00")
        refunds_before = len(cards.stripe.state.refunds)
        url = f"{ADMIN}/invoices/{invoice['id']}/credit-notes"

        refused = await http.post(
            url, headers=tokens.admin(), json={"reason": "Outage", "settlement": "refund"}
        )

        assert refused.status_code == 409
        error = refused.json()["error"]
        assert error["code"] == "refund_through_provider"
        assert payment["id"] in error["message"]
        assert len(cards.stripe.state.refunds) == refunds_before
        assert (await invoice_state(http, tokens, invoice["id"]))["credit_notes"] == []
        # Crediting the money to the wallet keeps it with the operator: no Stripe call.
        wallet = await http.post(
            url, headers=tokens.admin(), json={"reason": "Outage", "settlement": "wallet"}
        )
        assert wallet.status_code == 201, wallet.text
        assert len(cards.stripe.state.refunds) == refunds_before
        state = await invoice_state(http, tokens, invoice["id"])
        assert (state["status"], state["payment_status"]) == ("cancelled", "refunded")

    async def test_a_refund_made_in_stripes_dashboard_reaches_the_ledger(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        invoice, _, reference = await self._paid(http, tokens, cards, "60.00")
        pi = (await transaction(http, tokens, reference))["provider_ref"]
        await stripe_api(cards, "POST", "/v1/refunds", payment_intent=pi, amount="1500")
        charge_id = cards.stripe.state.payment_intents[pi]["latest_charge"]

        await cards.stripe.deliver(
            cards.stripe_webhook, cards.stripe.event_ids("charge.refunded", charge_id), repeat=3
        )

        async def refunded() -> Any:
            state = await invoice_state(http, tokens, invoice["id"])
            return state if state["amount_refunded"] == "15.00" else None

        state = await eventually(refunded)
        assert (state["amount_paid"], state["amount_refunded"]) == ("45.00", "15.00")


class TestRemoving:
    async def test_deleting_the_default_hands_it_to_the_newest_method(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        first = await save_stripe_method(http, cards, tenant)
        second = await save_stripe_method(http, cards, tenant, "pm_card_mastercard")
        third = await save_stripe_method(http, cards, tenant, "pm_card_visa")
        pm = await provider_ref(cards, first["id"])

        removed = await http.delete(
            f"{BILLING}/payment-methods/{first['id']}", headers=tenant.owner
        )

        assert removed.status_code == 200, removed.text
        data = removed.json()["data"]
        assert data["removed"]["status"] == "inactive"
        assert data["default_payment_method"]["id"] == third["id"]
        assert cards.stripe.state.payment_methods[pm]["customer"] is None
        listed = await list_methods(http, tenant)
        assert [(m["id"], m["is_default"]) for m in listed] == [
            (third["id"], True),
            (second["id"], False),
        ]

        for method in (third, second):
            response = await http.delete(
                f"{BILLING}/payment-methods/{method['id']}", headers=tenant.owner
            )
            assert response.status_code == 200, response.text
        assert response.json()["data"]["default_payment_method"] is None
        assert await list_methods(http, tenant) == []
        invoice = await create_invoice(http, tokens, tenant)
        charge = await pay(http, tenant, invoice)
        assert charge.json()["error"]["code"] == "no_default_payment_method"
        again = await http.delete(f"{BILLING}/payment-methods/{first['id']}", headers=tenant.owner)
        assert again.status_code == 200

    async def test_a_method_detached_at_stripe_is_deactivated(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        first = await save_stripe_method(http, cards, tenant)
        second = await save_stripe_method(http, cards, tenant, "pm_card_mastercard")
        pm = await provider_ref(cards, first["id"])
        await stripe_api(cards, "POST", f"/v1/payment_methods/{pm}/detach")

        await cards.stripe.deliver(
            cards.stripe_webhook, cards.stripe.event_ids("payment_method.detached", pm), repeat=2
        )
        await cards.settled(pm)

        listed = await list_methods(http, tenant)
        assert [(m["id"], m["is_default"]) for m in listed] == [(second["id"], True)]

    async def test_setting_a_default_needs_an_active_method(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        method = await save_stripe_method(http, cards, tenant)
        await http.delete(f"{BILLING}/payment-methods/{method['id']}", headers=tenant.owner)

        response = await http.post(
            f"{BILLING}/payment-methods/{method['id']}/default", headers=tenant.owner
        )

        assert response.status_code == 409
        assert response.json()["error"]["code"] == "payment_method_not_active"


class TestAccess:
    async def test_another_tenants_method_is_404_everywhere(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        owner = await create_tenant(http, tokens)
        other = await create_tenant(http, tokens)
        method = await save_stripe_method(http, cards, owner)
        invoice = await create_invoice(http, tokens, other)
        attempts_before = len(cards.stripe.requests("/v1/payment_intents"))

        responses = [
            await http.delete(f"{BILLING}/payment-methods/{method['id']}", headers=other.owner),
            await http.post(
                f"{BILLING}/payment-methods/{method['id']}/default", headers=other.owner
            ),
            await pay(http, other, invoice, payment_method_id=method["id"]),
            await http.post(
                f"{ADMIN}/invoices/{invoice['id']}/charge",
                headers=tokens.admin(),
                json={"payment_method_id": method["id"]},
            ),
        ]

        assert [r.status_code for r in responses] == [404, 404, 404, 404]
        assert {r.json()["error"]["code"] for r in responses} == {"payment_method_not_found"}
        assert len(cards.stripe.requests("/v1/payment_intents")) == attempts_before
        assert [m["id"] for m in await list_methods(http, owner)] == [method["id"]]
        own_invoice = await create_invoice(http, tokens, owner)
        foreign_invoice = await pay(http, other, own_invoice)
        assert foreign_invoice.status_code == 404

    async def test_members_read_but_cannot_write(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
    ) -> None:
        tenant = await create_tenant(http, tokens)
        method = await save_stripe_method(http, cards, tenant)
        invoice = await create_invoice(http, tokens, tenant)
        member = tenant.member

        listed = await http.get(f"{BILLING}/payment-methods", headers=member)
        writes = [
            await http.post(f"{BILLING}/payment-providers/stripe/setup", headers=member, json={}),
            await http.post(
                f"{BILLING}/payment-providers/stripe/confirm",
                headers=member,
                json={"confirmation_data": {"setup_id": method["id"]}},
            ),
            await http.post(
                f"{BILLING}/payment-methods", headers=member, json={"provider_slug": "stripe"}
            ),
            await http.delete(f"{BILLING}/payment-methods/{method['id']}", headers=member),
            await http.post(f"{BILLING}/payment-methods/{method['id']}/default", headers=member),
            await http.post(f"{BILLING}/invoices/{invoice['id']}/pay", headers=member, json={}),
        ]

        assert listed.status_code == 200
        assert [m["id"] for m in listed.json()["data"]] == [method["id"]]
        assert [r.status_code for r in writes] == [403] * len(writes)
        assert (await invoice_state(http, tokens, invoice["id"]))["amount_paid"] == "0.00"


class TestLostCommit:
    async def test_a_charge_lost_before_commit_is_replayed_not_repeated(
        self, http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack, database: Database
    ) -> None:
        tenant = await create_tenant(http, tokens)
        await save_stripe_method(http, cards, tenant)
        invoice = await create_invoice(http, tokens, tenant, "30.00")
        client = build_http_client()
        providers = ProviderFactory(cards.provider_settings, client)
        # The first charge reaches Stripe, then the process dies before the commit.
        async with database.sessionmaker() as session:
            transaction = await session.begin()
            await apply_scope(session, AccessScope.admin())
            lost = await charge_service.charge(
                session,
                scope=AccessScope.admin(),
                providers=providers,
                invoice_id=uuid.UUID(invoice["id"]),
                method_id=None,
                amount=None,
                initiated_by="test",
                callbacks=CallbackUrls(cards.app_url, cards.settings),
            )
            assert lost.attempt.status == "succeeded"
            await transaction.rollback()
        await client.aclose()

        retried = await pay(http, tenant, invoice)

        assert retried.status_code == 201, retried.text
        assert retried.json()["data"]["attempt"]["provider_ref"] == lost.attempt.provider_ref
        keys = [
            r.headers["idempotency-key"]
            for r in cards.stripe.requests("/v1/payment_intents")
            if r.method == "POST" and r.params["metadata"].get("invoice_id") == invoice["id"]
        ]
        assert len(keys) == 2
        assert len(set(keys)) == 1
        payments = await invoice_payments(http, tokens, invoice["id"])
        assert [p["amount"] for p in payments] == ["30.00"]
