"""MollieProvider against the fake Mollie over real HTTP."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from billing.providers.base import (
    Amount,
    CallbackVerificationError,
    CustomerRef,
    PaymentStatus,
    ProviderError,
    ProviderUnavailableError,
    RefundRequest,
    RefundStatus,
    SetupRequest,
)
from billing.providers.http import ProviderHTTPError
from billing.providers.mollie import MollieConfig, MollieProvider
from billing_fakes.server import CallbackRecorder, FakeServer
from tests.providers.mollie.mollie_support import (
    API_KEY,
    RETURN_URL,
    MakePayment,
    MollieControl,
    SaveMandate,
)


class TestFirstPaymentAndMandate:
    async def test_first_payment_creates_a_valid_mandate_then_recurring_charge(
        self,
        provider: MollieProvider,
        fake: MollieControl,
        customer: CustomerRef,
        receiver_server: FakeServer,
        make_payment: MakePayment,
    ) -> None:
        setup = await provider.create_setup(
            SetupRequest(
                attempt_id="setup_1",
                customer=customer,
                method_type="creditcard",
                return_url=RETURN_URL,
                callback_url=receiver_server.url("/hook"),
            )
        )

        assert setup.provider_ref.startswith("tr_")
        assert setup.provider_customer_id.startswith("cst_")
        assert setup.next_action.kind == "redirect"
        assert setup.next_action.url == f"{fake.base_url}/checkout/{setup.provider_ref}"
        assert setup.next_action.expires_at is not None
        (customer_call,) = fake.api_requests("/v2/customers")
        assert customer_call.json["metadata"] == {"tenant_id": "t_42"}
        (first_call,) = fake.api_requests("/v2/payments")
        assert first_call.json["sequenceType"] == "first"
        assert first_call.json["amount"] == {"currency": "EUR", "value": "0.01"}
        assert first_call.json["customerId"] == setup.provider_customer_id
        assert first_call.json["method"] == "creditcard"
        assert first_call.json["redirectUrl"] == RETURN_URL
        assert first_call.json["webhookUrl"] == receiver_server.url("/hook")
        for call in (customer_call, first_call):
            assert call.headers["authorization"] == f"Bearer {API_KEY}"
            assert uuid.UUID(call.headers["idempotency-key"])

        # The payer completes the checkout; Mollie sends the browser back without any status.
        assert setup.next_action.url is not None
        visit = fake.visit_checkout(setup.next_action.url)
        assert visit.status_code == 303
        assert visit.headers["location"] == RETURN_URL

        saved = await provider.confirm_setup(
            setup.provider_customer_id, {"payment_id": setup.provider_ref}
        )
        assert saved.provider_ref.startswith("mdt_")
        assert (saved.method_type, saved.status) == ("creditcard", "valid")
        assert (saved.brand, saved.last4, saved.exp_month, saved.exp_year) == (
            "Mastercard",
            "6787",
            12,
            2029,
        )

        charge = await provider.create_payment(
            make_payment("att_1", "49.00", customer=customer, method=saved)
        )
        assert charge.status is PaymentStatus.SUCCEEDED
        assert charge.amount == Amount(Decimal("49.00"), "EUR")
        recurring = fake.api_requests("/v2/payments")[-1]
        assert recurring.json["sequenceType"] == "recurring"
        assert recurring.json["customerId"] == saved.provider_customer_id
        assert recurring.json["mandateId"] == saved.provider_ref
        assert recurring.json["amount"] == {"currency": "EUR", "value": "49.00"}
        assert recurring.json["metadata"]["attempt_id"] == "att_1"
        assert "redirectUrl" not in recurring.json

    async def test_directdebit_mandate_shows_only_the_last_digits(
        self, save_mandate: SaveMandate
    ) -> None:
        saved = await save_mandate("ideal")
        assert (saved.method_type, saved.status, saved.last4) == ("directdebit", "valid", "0000")
        assert "NL55INGB" not in repr(saved)

    async def test_sepa_recurring_charge_is_processing_until_paid(
        self,
        provider: MollieProvider,
        fake: MollieControl,
        save_mandate: SaveMandate,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_mandate("directdebit", method="ideal")
        charge = await provider.create_payment(
            make_payment("att_2", "49.00", customer=customer, method=saved)
        )
        assert charge.status is PaymentStatus.PROCESSING
        assert charge.raw_status == "pending"

        fake.post(f"payments/{charge.provider_ref}/status", {"status": "paid"})
        fetched = await provider.get_payment(charge.provider_ref)
        assert fetched.status is PaymentStatus.SUCCEEDED
        assert fetched.paid_at is not None

    async def test_pending_mandate_is_not_accepted_as_valid(
        self, provider: MollieProvider, fake: MollieControl, save_mandate: SaveMandate
    ) -> None:
        saved = await save_mandate(mandate_status="pending")
        assert saved.status == "pending"

        # Once Mollie reports it valid, confirming again gives a usable method.
        fake.post(f"mandates/{saved.provider_ref}/status", {"status": "valid"})
        payment_id = next(iter(fake.state.payments))
        again = await provider.confirm_setup(saved.provider_customer_id, {"payment_id": payment_id})
        assert (again.provider_ref, again.status) == (saved.provider_ref, "valid")

    async def test_invalid_mandate_is_refused(
        self, provider: MollieProvider, fake: MollieControl, save_mandate: SaveMandate
    ) -> None:
        saved = await save_mandate(mandate_status="pending")
        fake.post(f"mandates/{saved.provider_ref}/status", {"status": "invalid"})
        payment_id = next(iter(fake.state.payments))
        with pytest.raises(ProviderError) as caught:
            await provider.confirm_setup(saved.provider_customer_id, {"payment_id": payment_id})
        assert caught.value.code == "mandate_invalid"

    @pytest.mark.parametrize(
        ("outcome", "code"),
        [(None, "setup_incomplete"), ("failed", "setup_failed"), ("expired", "setup_failed")],
    )
    async def test_unpaid_first_payment_is_refused(
        self,
        provider: MollieProvider,
        fake: MollieControl,
        customer: CustomerRef,
        outcome: str | None,
        code: str,
    ) -> None:
        setup = await provider.create_setup(
            SetupRequest(
                attempt_id="setup_x",
                customer=customer,
                method_type="card",
                return_url=RETURN_URL,
            )
        )
        if outcome is not None:
            assert setup.next_action.url is not None
            fake.visit_checkout(setup.next_action.url, outcome=outcome)
        with pytest.raises(ProviderError) as caught:
            await provider.confirm_setup(
                setup.provider_customer_id, {"payment_id": setup.provider_ref}
            )
        assert caught.value.code == code

    async def test_another_customers_payment_is_refused(
        self, provider: MollieProvider, fake: MollieControl, save_mandate: SaveMandate
    ) -> None:
        await save_mandate()
        payment_id = next(iter(fake.state.payments))
        with pytest.raises(ProviderError) as caught:
            await provider.confirm_setup("cst_someoneelse", {"payment_id": payment_id})
        assert caught.value.code == "setup_customer_mismatch"

    async def test_setup_needs_a_return_url_and_a_known_method(
        self, provider: MollieProvider, fake: MollieControl, customer: CustomerRef
    ) -> None:
        with pytest.raises(ProviderError) as no_return:
            await provider.create_setup(
                SetupRequest(attempt_id="s", customer=customer, method_type="creditcard")
            )
        assert no_return.value.code == "return_url_required"
        with pytest.raises(ProviderError) as bad_method:
            await provider.create_setup(
                SetupRequest(
                    attempt_id="s", customer=customer, method_type="mpesa", return_url=RETURN_URL
                )
            )
        assert bad_method.value.code == "method_type_not_supported"
        assert fake.api_requests() == []

    async def test_directdebit_setup_lets_the_payer_choose_the_method(
        self, provider: MollieProvider, fake: MollieControl, customer: CustomerRef
    ) -> None:
        await provider.create_setup(
            SetupRequest(
                attempt_id="s",
                customer=customer,
                method_type="directdebit",
                return_url=RETURN_URL,
            )
        )
        assert "method" not in fake.api_requests("/v2/payments")[0].json

    async def test_revoke_mandate(
        self,
        provider: MollieProvider,
        fake: MollieControl,
        save_mandate: SaveMandate,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_mandate()
        await provider.detach_method(saved.provider_customer_id, saved.provider_ref)
        assert fake.state.mandates[saved.provider_ref]["status"] == "invalid"
        (delete,) = [r for r in fake.api_requests() if r.method == "DELETE"]
        assert delete.path == (
            f"/v2/customers/{saved.provider_customer_id}/mandates/{saved.provider_ref}"
        )
        # Revoking again (a retried job) is not an error; charging it is refused.
        await provider.detach_method(saved.provider_customer_id, saved.provider_ref)
        with pytest.raises(ProviderHTTPError) as caught:
            await provider.create_payment(
                make_payment("att_3", "10.00", customer=customer, method=saved)
            )
        assert caught.value.code == "unprocessable_entity"
        assert "mandateId" in caught.value.message


class TestPayments:
    async def test_one_off_payment_redirects_then_is_fetched(
        self,
        provider: MollieProvider,
        fake: MollieControl,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        result = await provider.create_payment(make_payment("att_10", "10.00", customer=customer))
        assert result.status is PaymentStatus.PENDING
        assert result.raw_status == "open"
        assert result.next_action is not None
        assert result.next_action.kind == "redirect"
        assert result.next_action.url is not None
        assert fake.api_requests("/v2/payments")[0].json["sequenceType"] == "oneoff"

        fake.visit_checkout(result.next_action.url)
        fetched = await provider.get_payment(result.provider_ref)
        assert fetched.status is PaymentStatus.SUCCEEDED
        assert fetched.next_action is None
        assert fetched.refunded_amount == Amount(Decimal("0.00"), "EUR")

    @pytest.mark.parametrize(
        ("outcome", "status"),
        [
            ("failed", PaymentStatus.FAILED),
            ("canceled", PaymentStatus.CANCELLED),
            ("expired", PaymentStatus.EXPIRED),
        ],
    )
    async def test_unsuccessful_outcomes(
        self,
        provider: MollieProvider,
        fake: MollieControl,
        make_payment: MakePayment,
        customer: CustomerRef,
        outcome: str,
        status: PaymentStatus,
    ) -> None:
        result = await provider.create_payment(make_payment("att_11", "10.00", customer=customer))
        fake.post(f"payments/{result.provider_ref}/status", {"status": outcome})
        fetched = await provider.get_payment(result.provider_ref)
        assert fetched.status is status
        if status is PaymentStatus.FAILED:
            assert fetched.failure_code == "card_declined"

    async def test_recurring_charge_is_idempotent_per_attempt(
        self,
        provider: MollieProvider,
        fake: MollieControl,
        save_mandate: SaveMandate,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_mandate()
        request = make_payment("att_12", "49.00", customer=customer, method=saved)
        first = await provider.create_payment(request)
        second = await provider.create_payment(request)
        assert first.provider_ref == second.provider_ref
        recurring = [p for p in fake.state.payments.values() if p["sequenceType"] == "recurring"]
        assert len(recurring) == 1

    async def test_exact_amount_strings(
        self,
        provider: MollieProvider,
        fake: MollieControl,
        save_mandate: SaveMandate,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_mandate()
        cases = [("5000", "JPY", "5000"), ("10", "EUR", "10.00"), ("0.5", "GBP", "0.50")]
        for index, (value, currency, text) in enumerate(cases):
            result = await provider.create_payment(
                make_payment(f"att_amt_{index}", value, currency, customer=customer, method=saved)
            )
            sent = fake.api_requests("/v2/payments")[-1].json["amount"]
            assert sent == {"currency": currency, "value": text}
            fetched = await provider.get_payment(result.provider_ref)
            assert fetched.amount == Amount(Decimal(text), currency)
            assert fetched.amount is not None
            assert str(fetched.amount.value) == text

    @pytest.mark.parametrize(
        ("value", "currency", "code"),
        [
            ("1000.00", "KES", "currency_not_supported"),
            ("5000", "RWF", "currency_not_supported"),
            ("10.001", "EUR", "amount_precision_not_supported"),
            ("10.5", "JPY", "amount_precision_not_supported"),
        ],
    )
    async def test_refused_before_any_request(
        self,
        provider: MollieProvider,
        fake: MollieControl,
        make_payment: MakePayment,
        customer: CustomerRef,
        value: str,
        currency: str,
        code: str,
    ) -> None:
        with pytest.raises(ProviderError) as caught:
            await provider.create_payment(make_payment("att_x", value, currency, customer=customer))
        assert caught.value.code == code
        assert fake.api_requests() == []


class TestRefunds:
    async def test_partial_then_full(
        self,
        provider: MollieProvider,
        fake: MollieControl,
        save_mandate: SaveMandate,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_mandate()
        payment = await provider.create_payment(
            make_payment("att_20", "49.00", customer=customer, method=saved)
        )
        partial = await provider.refund(
            RefundRequest(
                refund_id="rf_1",
                payment_ref=payment.provider_ref,
                amount=Amount(Decimal("10.00"), "EUR"),
                reason="Goodwill",
            )
        )
        assert partial.provider_ref.startswith("re_")
        assert (partial.status, partial.raw_status) == (RefundStatus.PENDING, "pending")
        call = fake.api_requests(f"/v2/payments/{payment.provider_ref}/refunds")[0]
        assert call.json["amount"] == {"currency": "EUR", "value": "10.00"}
        assert call.json["description"] == "Goodwill"
        assert uuid.UUID(call.headers["idempotency-key"])

        after_partial = await provider.get_payment(payment.provider_ref)
        assert after_partial.status is PaymentStatus.SUCCEEDED
        assert after_partial.refunded_amount == Amount(Decimal("10.00"), "EUR")

        await provider.refund(
            RefundRequest(
                refund_id="rf_2",
                payment_ref=payment.provider_ref,
                amount=Amount(Decimal("39.00"), "EUR"),
            )
        )
        after_full = await provider.get_payment(payment.provider_ref)
        assert after_full.status is PaymentStatus.REFUNDED
        assert after_full.refunded_amount == Amount(Decimal("49.00"), "EUR")

    async def test_more_than_remains_is_refused(
        self,
        provider: MollieProvider,
        save_mandate: SaveMandate,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_mandate()
        payment = await provider.create_payment(
            make_payment("att_21", "20.00", customer=customer, method=saved)
        )
        with pytest.raises(ProviderHTTPError) as caught:
            await provider.refund(
                RefundRequest(
                    refund_id="rf_3",
                    payment_ref=payment.provider_ref,
                    amount=Amount(Decimal("20.01"), "EUR"),
                )
            )
        assert (caught.value.code, caught.value.status_code) == ("unprocessable_entity", 422)

    async def test_retried_refund_is_not_repeated(
        self,
        provider: MollieProvider,
        fake: MollieControl,
        save_mandate: SaveMandate,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_mandate()
        payment = await provider.create_payment(
            make_payment("att_22", "20.00", customer=customer, method=saved)
        )
        request = RefundRequest(
            refund_id="rf_4", payment_ref=payment.provider_ref, amount=Amount(Decimal("5"), "EUR")
        )
        first = await provider.refund(request)
        second = await provider.refund(request)
        assert first.provider_ref == second.provider_ref
        assert len(fake.state.refunds) == 1

        fake.post(f"refunds/{first.provider_ref}/status", {"status": "refunded"})
        assert fake.state.refunds[first.provider_ref]["status"] == "refunded"


class TestWebhooks:
    async def test_classic_webhook_carries_only_the_id(
        self,
        provider: MollieProvider,
        fake: MollieControl,
        save_mandate: SaveMandate,
        make_payment: MakePayment,
        customer: CustomerRef,
        receiver: CallbackRecorder,
        receiver_server: FakeServer,
    ) -> None:
        saved = await save_mandate()
        payment = await provider.create_payment(
            make_payment(
                "att_30",
                "49.00",
                customer=customer,
                method=saved,
                callback_url=receiver_server.url("/api/v1/webhooks/mollie"),
            )
        )
        answer = fake.post(f"payments/{payment.provider_ref}/webhook", {"repeat": 3})
        assert [d["status_code"] for d in answer["deliveries"]] == [200] * 3

        deliveries = await receiver.wait_for_async(3)
        events = []
        for delivery in deliveries:
            assert delivery.headers["content-type"] == "application/x-www-form-urlencoded"
            assert delivery.body == f"id={payment.provider_ref}".encode()
            events.append(await provider.parse_callback(delivery.body, delivery.headers, {}))

        assert {e.provider_ref for e in events} == {payment.provider_ref}
        assert {e.kind for e in events} == {"payment"}
        assert all(e.reported_status is None for e in events)
        # Same body, possibly different payment states: every delivery is processed (by fetching).
        assert len({e.dedupe_key for e in events}) == 3
        fetched = await provider.get_payment(events[0].provider_ref)
        assert fetched.status is PaymentStatus.SUCCEEDED

    @pytest.mark.parametrize(
        "body",
        [
            b'{"id": "tr_5B8cwPMGnU"}',
            b"id=tr_5B8cwPMGnU&extra=1",
        ],
    )
    async def test_json_and_form_bodies(self, provider: MollieProvider, body: bytes) -> None:
        event = await provider.parse_callback(body, {}, {})
        assert event.provider_ref == "tr_5B8cwPMGnU"

    async def test_next_gen_event_is_keyed_by_its_id(self, provider: MollieProvider) -> None:
        body = json.dumps(
            {"resource": "event", "id": "event_GvJ8WHrp5j", "entityId": "tr_5B8cwPMGnU"}
        ).encode()
        event = await provider.parse_callback(body, {}, {})
        assert (event.dedupe_key, event.provider_ref) == ("event_GvJ8WHrp5j", "tr_5B8cwPMGnU")

    @pytest.mark.parametrize(
        "body",
        [
            b"",
            b"id=",
            b"id=ord_123",
            b"id=tr_1&id=tr_2",
            b"id=tr_../../v2/customers",
            b'{"id": 5}',
            b"{not json",
        ],
    )
    async def test_malformed_bodies(self, provider: MollieProvider, body: bytes) -> None:
        with pytest.raises(CallbackVerificationError) as caught:
            await provider.parse_callback(body, {}, {})
        assert caught.value.code == "body_malformed"


class TestSecrets:
    async def test_wrong_key_error_does_not_contain_the_key(
        self, config: MollieConfig, http: httpx.AsyncClient, fake: MollieControl
    ) -> None:
        wrong = "test_wrongKeyThatMustNotLeakAnywhere"
        provider = MollieProvider(
            config=config.model_copy(update={"api_key": SecretStr(wrong)}), http=http
        )
        with pytest.raises(ProviderHTTPError) as caught:
            await provider.get_payment("tr_123")
        assert (caught.value.code, caught.value.status_code) == ("unauthorized", 401)
        assert wrong not in f"{caught.value} {caught.value!r} {caught.value.message}"

    async def test_transport_errors_do_not_contain_the_key(self, http: httpx.AsyncClient) -> None:
        provider = MollieProvider(
            config=MollieConfig(api_base="http://127.0.0.1:9", api_key=SecretStr(API_KEY)),
            http=http,
        )
        with pytest.raises(ProviderUnavailableError) as caught:
            await provider.refund(
                RefundRequest(
                    refund_id="r", payment_ref="tr_1", amount=Amount(Decimal("1.00"), "EUR")
                )
            )
        assert API_KEY not in str(caught.value)

    def test_public_config(self, config: MollieConfig, http: httpx.AsyncClient) -> None:
        assert MollieProvider(config=config, http=http).public_config() == {}
        with_profile = config.model_copy(update={"profile_id": "pfl_QkEhN94Ba"})
        assert MollieProvider(config=with_profile, http=http).public_config() == {
            "profile_id": "pfl_QkEhN94Ba"
        }

    async def test_unconfigured_provider_sends_nothing(
        self, http: httpx.AsyncClient, fake: MollieControl
    ) -> None:
        provider = MollieProvider(
            config=MollieConfig(api_base=fake.base_url, api_key=SecretStr("")), http=http
        )
        with pytest.raises(ProviderError) as caught:
            await provider.get_payment("tr_123")
        assert caught.value.code == "provider_not_configured"
        assert fake.api_requests() == []

    async def test_access_token_names_profile_and_mode(
        self,
        http: httpx.AsyncClient,
        mollie_server: FakeServer,
        fake: MollieControl,
        customer: CustomerRef,
        make_payment: MakePayment,
    ) -> None:
        fake.state.settings.api_key = "access_orgTokenForTests"
        try:
            provider = MollieProvider(
                config=MollieConfig(
                    api_base=mollie_server.base_url,
                    api_key=SecretStr("access_orgTokenForTests"),
                    profile_id="pfl_QkEhN94Ba",
                    testmode=True,
                ),
                http=http,
            )
            await provider.create_payment(make_payment("att_org", "10.00", customer=customer))
        finally:
            fake.state.settings.api_key = API_KEY
        body = fake.api_requests("/v2/payments")[0].json
        assert (body["profileId"], body["testmode"]) == ("pfl_QkEhN94Ba", True)
