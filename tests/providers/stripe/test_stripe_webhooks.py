"""Stripe-Signature verification, checked against the official ``stripe`` package's own helpers.

Headers are produced with ``stripe.WebhookSignature.generate_signature_header`` and every verdict
of ours is compared with ``stripe.Webhook.construct_event`` / ``WebhookSignature.verify_header``
on the same input, so our verification cannot drift from Stripe's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from types import SimpleNamespace

import httpx
import pytest
import stripe
import stripe._webhook as stripe_webhook
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from billing.providers.base import (
    Amount,
    CallbackVerificationError,
    CustomerRef,
    PaymentStatus,
    RefundRequest,
)
from billing.providers.stripe import StripeConfig, StripeProvider
from billing.providers.stripe.signature import verify_signature
from billing_fakes.server import CallbackRecorder, FakeServer
from tests.providers.stripe.stripe_support import (
    OLD_WEBHOOK_SECRET,
    WEBHOOK_SECRET,
    MakePayment,
    SaveMethod,
    StripeControl,
)

NOW = 1_800_000_000


def event_body(event_type: str = "payment_intent.succeeded", **obj: object) -> str:
    """A Stripe event as Stripe sends it (pretty-printed JSON)."""
    data = {
        "id": "pi_3PtestABC",
        "object": "payment_intent",
        "amount": 4900,
        "currency": "eur",
        "status": "succeeded",
        "customer": "cus_Q1aB2c3D4e",
        "payment_method": "pm_1OaTEST",
        "last_payment_error": None,
        **obj,
    }
    event = {
        "id": "evt_3P0abcDEF12345",
        "object": "event",
        "api_version": "2024-06-20",
        "created": NOW - 5,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": "req_Xy12", "idempotency_key": "att_1:payment_intent"},
        "type": event_type,
        "data": {"object": data},
    }
    return json.dumps(event, indent=2)


def official_header(payload: str, secret: str, timestamp: int = NOW) -> str:
    header: str = stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=timestamp
    )
    return header


@contextmanager
def sdk_clock(now: float) -> Iterator[None]:
    """Run the official SDK as if its wall clock read ``now``.

    The SDK calls ``time.time()`` through its module's ``time`` reference; replacing that one
    reference (not the global ``time.time``) gives its tolerance check an injected clock, like
    ours, without touching any other thread.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stripe_webhook, "time", SimpleNamespace(time=lambda: now))
        yield


def official_accepts(payload: str, header: str, secret: str, now: float = NOW) -> bool:
    """The official SDK's verdict (``Webhook.construct_event``, 300 s tolerance) at ``now``."""
    with sdk_clock(now):
        try:
            stripe.Webhook.construct_event(payload, header, secret)
        except stripe.SignatureVerificationError:
            return False
    return True


@pytest.fixture
def at_now(config: StripeConfig, http: httpx.AsyncClient, fake: StripeControl) -> StripeProvider:
    """The provider with its clock pinned to ``NOW``."""
    return StripeProvider(config=config, http=http, clock=lambda: NOW)


class TestSignature:
    async def test_valid_header_from_the_official_helper(self, at_now: StripeProvider) -> None:
        payload = event_body()
        header = official_header(payload, WEBHOOK_SECRET)
        assert official_accepts(payload, header, WEBHOOK_SECRET)

        event = await at_now.parse_callback(payload.encode(), {"Stripe-Signature": header}, {})

        assert event.dedupe_key == "evt_3P0abcDEF12345"
        assert (event.kind, event.provider_ref) == ("payment", "pi_3PtestABC")
        assert event.reported_status is PaymentStatus.SUCCEEDED
        assert event.reported_amount is not None
        assert str(event.reported_amount.value) == "49.00"
        assert event.occurred_at is not None
        assert event.data["type"] == "payment_intent.succeeded"

    async def test_header_name_is_case_insensitive(self, at_now: StripeProvider) -> None:
        payload = event_body()
        header = official_header(payload, WEBHOOK_SECRET)
        event = await at_now.parse_callback(payload.encode(), {"stripe-signature": header}, {})
        assert event.dedupe_key == "evt_3P0abcDEF12345"

    async def test_several_v1_values_during_rotation(self, at_now: StripeProvider) -> None:
        payload = event_body()
        old = official_header(payload, OLD_WEBHOOK_SECRET)
        new = official_header(payload, WEBHOOK_SECRET)
        # Stripe sends one v1 per active secret: "t=...,v1=<old>,v1=<new>".
        combined = f"{old},{new.split(',', 1)[1]}"
        assert combined.count("v1=") == 2
        assert official_accepts(payload, combined, WEBHOOK_SECRET)
        assert official_accepts(payload, combined, OLD_WEBHOOK_SECRET)

        event = await at_now.parse_callback(payload.encode(), {"Stripe-Signature": combined}, {})
        assert event.kind == "payment"

    async def test_any_configured_secret_verifies(
        self, config: StripeConfig, http: httpx.AsyncClient
    ) -> None:
        rolling = config.model_copy(
            update={"webhook_secrets": (SecretStr(WEBHOOK_SECRET), SecretStr(OLD_WEBHOOK_SECRET))}
        )
        provider = StripeProvider(config=rolling, http=http, clock=lambda: NOW)
        payload = event_body()
        header = official_header(payload, OLD_WEBHOOK_SECRET)
        event = await provider.parse_callback(payload.encode(), {"Stripe-Signature": header}, {})
        assert event.kind == "payment"

    async def test_wrong_secret_is_refused(self, at_now: StripeProvider) -> None:
        payload = event_body()
        header = official_header(payload, "whsec_somebodyelse")
        assert not official_accepts(payload, header, WEBHOOK_SECRET)

        with pytest.raises(CallbackVerificationError) as caught:
            await at_now.parse_callback(payload.encode(), {"Stripe-Signature": header}, {})
        assert caught.value.code == "signature_invalid"

    async def test_tampered_body_is_refused(self, at_now: StripeProvider) -> None:
        payload = event_body()
        header = official_header(payload, WEBHOOK_SECRET)
        tampered = payload.replace('"amount": 4900', '"amount": 1')
        assert not official_accepts(tampered, header, WEBHOOK_SECRET)

        with pytest.raises(CallbackVerificationError) as caught:
            await at_now.parse_callback(tampered.encode(), {"Stripe-Signature": header}, {})
        assert caught.value.code == "signature_invalid"

    async def test_reserialized_body_is_refused(self, at_now: StripeProvider) -> None:
        payload = event_body()
        header = official_header(payload, WEBHOOK_SECRET)
        compact = json.dumps(json.loads(payload))
        assert not official_accepts(compact, header, WEBHOOK_SECRET)
        with pytest.raises(CallbackVerificationError) as caught:
            await at_now.parse_callback(compact.encode(), {"Stripe-Signature": header}, {})
        assert caught.value.code == "signature_invalid"

    @pytest.mark.parametrize(("age", "accepted"), [(299, True), (300, True), (301, False)])
    async def test_tolerance_is_300_seconds_like_the_sdk(
        self, at_now: StripeProvider, age: int, accepted: bool
    ) -> None:
        payload = event_body()
        header = official_header(payload, WEBHOOK_SECRET, timestamp=NOW - age)
        assert official_accepts(payload, header, WEBHOOK_SECRET) is accepted

        if accepted:
            await at_now.parse_callback(payload.encode(), {"Stripe-Signature": header}, {})
        else:
            with pytest.raises(CallbackVerificationError) as caught:
                await at_now.parse_callback(payload.encode(), {"Stripe-Signature": header}, {})
            assert caught.value.code == "timestamp_outside_tolerance"

    async def test_stale_header_at_the_real_clock(
        self, config: StripeConfig, http: httpx.AsyncClient
    ) -> None:
        provider = StripeProvider(config=config, http=http)
        payload = event_body()
        header = official_header(payload, WEBHOOK_SECRET, timestamp=int(time.time()) - 600)
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(payload, header, WEBHOOK_SECRET)
        with pytest.raises(CallbackVerificationError) as caught:
            await provider.parse_callback(payload.encode(), {"Stripe-Signature": header}, {})
        assert caught.value.code == "timestamp_outside_tolerance"

    async def test_far_future_timestamp_is_refused(self, at_now: StripeProvider) -> None:
        # Stricter than the SDK, which only refuses old timestamps.
        payload = event_body()
        header = official_header(payload, WEBHOOK_SECRET, timestamp=NOW + 301)
        with pytest.raises(CallbackVerificationError) as caught:
            await at_now.parse_callback(payload.encode(), {"Stripe-Signature": header}, {})
        assert caught.value.code == "timestamp_outside_tolerance"

    @pytest.mark.parametrize(
        ("header", "code"),
        [
            (None, "header_missing"),
            ("", "header_missing"),
            ("garbage", "header_malformed"),
            ("t=abc,v1=00", "header_malformed"),
            (f"t={NOW}", "header_malformed"),
            (f"t={NOW},v0=deadbeef", "header_malformed"),
            (f"t={NOW},t={NOW},v1=00", "header_malformed"),
            (f"t={NOW},v1=not-hex-at-all", "signature_invalid"),
        ],
    )
    async def test_malformed_headers(
        self, at_now: StripeProvider, header: str | None, code: str
    ) -> None:
        headers = {} if header is None else {"Stripe-Signature": header}
        with pytest.raises(CallbackVerificationError) as caught:
            await at_now.parse_callback(event_body().encode(), headers, {})
        assert caught.value.code == code

    async def test_signed_garbage_is_malformed_not_trusted(self, at_now: StripeProvider) -> None:
        payload = '{"object": "charge", "id": "ch_1"}'
        header = official_header(payload, WEBHOOK_SECRET)
        with pytest.raises(CallbackVerificationError) as caught:
            await at_now.parse_callback(payload.encode(), {"Stripe-Signature": header}, {})
        assert caught.value.code == "body_malformed"

    async def test_no_secret_configured(
        self, config: StripeConfig, http: httpx.AsyncClient
    ) -> None:
        provider = StripeProvider(
            config=config.model_copy(update={"webhook_secrets": ()}), http=http, clock=lambda: NOW
        )
        payload = event_body()
        with pytest.raises(CallbackVerificationError) as caught:
            await provider.parse_callback(
                payload.encode(),
                {"Stripe-Signature": official_header(payload, WEBHOOK_SECRET)},
                {},
            )
        assert caught.value.code == "no_secret"


@settings(max_examples=60, deadline=None)
@given(
    body=st.text(max_size=300),
    secret=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=40),
    age=st.integers(min_value=-600, max_value=600),
    tamper=st.booleans(),
)
def test_verdicts_match_the_official_sdk(body: str, secret: str, age: int, tamper: bool) -> None:
    """For any body, secret, age and tampering we accept exactly when the SDK accepts, except
    that we also refuse timestamps more than the tolerance in the future."""
    whsec = f"whsec_{secret}"
    header = official_header(body, whsec, timestamp=NOW - age)
    received = body + "x" if tamper else body
    with sdk_clock(NOW):
        try:
            stripe.WebhookSignature.verify_header(received, header, whsec, tolerance=300)
            official = True
        except stripe.SignatureVerificationError:
            official = False
    expected = official and age >= -300
    try:
        verify_signature(received.encode(), header, [whsec], now=NOW)
        ours = True
    except CallbackVerificationError:
        ours = False
    assert ours is expected
    assert official is (not tamper and age <= 300)


class TestDeliveries:
    async def test_signed_deliveries_from_the_fake_repeated_and_out_of_order(
        self,
        provider: StripeProvider,
        fake: StripeControl,
        save_method: SaveMethod,
        make_payment: MakePayment,
        customer: CustomerRef,
        receiver: CallbackRecorder,
        receiver_server: FakeServer,
    ) -> None:
        saved = await save_method()
        payment = await provider.create_payment(
            make_payment("att_w1", "49.00", customer=customer, method=saved)
        )
        await provider.refund(
            RefundRequest(
                refund_id="rf_w1",
                payment_ref=payment.provider_ref,
                amount=Amount(Decimal("49.00"), "EUR"),
            )
        )
        succeeded = fake.state.events_of_type("payment_intent.succeeded")[-1]["id"]
        refunded = fake.state.events_of_type("charge.refunded")[-1]["id"]
        setup = fake.state.events_of_type("setup_intent.succeeded")[-1]["id"]

        # Newest first, then everything again: duplicated and out of order, as Stripe may.
        answer = fake.post(
            "webhooks/deliver",
            {
                "url": receiver_server.url("/api/v1/webhooks/stripe"),
                "secrets": [OLD_WEBHOOK_SECRET, WEBHOOK_SECRET],
                "events": [refunded, succeeded, setup],
                "repeat": 2,
            },
        )
        assert [d["status_code"] for d in answer["deliveries"]] == [200] * 6

        received = await receiver.wait_for_async(6)
        events = []
        for delivery in received:
            header = delivery.headers["stripe-signature"]
            assert header.count("v1=") == 2
            official = stripe.Webhook.construct_event(delivery.body, header, WEBHOOK_SECRET)
            event = await provider.parse_callback(delivery.body, delivery.headers, delivery.query)
            assert event.dedupe_key == official.id
            events.append(event)

        assert [e.dedupe_key for e in events] == [refunded, succeeded, setup] * 2
        assert len({e.dedupe_key for e in events}) == 3
        by_key = {e.dedupe_key: e for e in events}
        assert by_key[refunded].kind == "refund"
        assert by_key[refunded].provider_ref == payment.provider_ref
        assert by_key[refunded].reported_status is PaymentStatus.REFUNDED
        assert by_key[succeeded].kind == "payment"
        assert by_key[succeeded].provider_ref == payment.provider_ref
        assert by_key[setup].kind == "setup"
        assert by_key[setup].provider_ref.startswith("seti_")

    async def test_detached_and_failed_events(
        self,
        provider: StripeProvider,
        fake: StripeControl,
        save_method: SaveMethod,
        make_payment: MakePayment,
        customer: CustomerRef,
        receiver: CallbackRecorder,
        receiver_server: FakeServer,
    ) -> None:
        saved = await save_method("pm_card_chargeDeclined")
        failed = await provider.create_payment(
            make_payment("att_w2", "49.00", customer=customer, method=saved)
        )
        await provider.detach_method(saved.provider_customer_id, saved.provider_ref)
        fake.post(
            "webhooks/deliver",
            {
                "url": receiver_server.url("/hook"),
                "secret": WEBHOOK_SECRET,
                "events": [
                    fake.state.events_of_type("payment_intent.payment_failed")[-1]["id"],
                    fake.state.events_of_type("payment_method.detached")[-1]["id"],
                ],
            },
        )
        first, second = await receiver.wait_for_async(2)
        payment_failed = await provider.parse_callback(first.body, first.headers, {})
        detached = await provider.parse_callback(second.body, second.headers, {})
        assert (payment_failed.kind, payment_failed.provider_ref) == (
            "payment",
            failed.provider_ref,
        )
        assert payment_failed.reported_status is PaymentStatus.FAILED
        assert (detached.kind, detached.provider_ref) == ("method_detached", saved.provider_ref)

    async def test_event_snapshot_by_type_and_object(
        self,
        provider: StripeProvider,
        fake: StripeControl,
        save_method: SaveMethod,
        make_payment: MakePayment,
        customer: CustomerRef,
        receiver: CallbackRecorder,
        receiver_server: FakeServer,
    ) -> None:
        saved = await save_method()
        payment = await provider.create_payment(
            make_payment("att_w3", "10.00", customer=customer, method=saved)
        )
        fake.post(
            "webhooks/deliver",
            {
                "url": receiver_server.url("/hook"),
                "secrets": [WEBHOOK_SECRET],
                "events": [{"type": "payment_intent.succeeded", "object_id": payment.provider_ref}],
                "timestamp": int(time.time()) - 1000,
            },
        )
        (delivery,) = await receiver.wait_for_async(1)
        with pytest.raises(CallbackVerificationError) as caught:
            await provider.parse_callback(delivery.body, delivery.headers, {})
        assert caught.value.code == "timestamp_outside_tolerance"
