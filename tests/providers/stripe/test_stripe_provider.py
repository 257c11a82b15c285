"""StripeProvider against the fake Stripe over real HTTP."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import pytest
from pydantic import SecretStr

from billing.providers.base import (
    Amount,
    CustomerRef,
    PaymentRequest,
    PaymentStatus,
    ProviderError,
    ProviderUnavailableError,
    RefundRequest,
    RefundStatus,
    SetupRequest,
)
from billing.providers.http import ProviderHTTPError
from billing.providers.stripe import StripeConfig, StripeProvider
from tests.providers.stripe.stripe_support import (
    PUBLISHABLE_KEY,
    SECRET_KEY,
    MakePayment,
    SaveMethod,
    StripeControl,
)


def _form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


class TestSetup:
    async def test_setup_then_confirm_returns_the_saved_card(
        self, provider: StripeProvider, fake: StripeControl, customer: CustomerRef
    ) -> None:
        setup = await provider.create_setup(
            SetupRequest(attempt_id="setup_1", customer=customer, method_type="card")
        )

        assert setup.provider_ref.startswith("seti_")
        assert setup.provider_customer_id.startswith("cus_")
        assert setup.next_action.kind == "use_client_secret"
        assert setup.next_action.client_secret is not None
        assert setup.next_action.client_secret.startswith(f"{setup.provider_ref}_secret_")

        fake.confirm_setup(setup.provider_ref, "pm_card_visa")
        saved = await provider.confirm_setup(
            setup.provider_customer_id, {"setup_intent_id": setup.provider_ref}
        )

        assert saved.provider_ref.startswith("pm_")
        assert saved.provider_customer_id == setup.provider_customer_id
        assert (saved.method_type, saved.status) == ("card", "valid")
        assert (saved.brand, saved.last4, saved.exp_month, saved.exp_year) == (
            "visa",
            "4242",
            12,
            2034,
        )

    async def test_requests_are_form_encoded_keyed_and_authenticated(
        self, provider: StripeProvider, fake: StripeControl, customer: CustomerRef
    ) -> None:
        await provider.create_setup(
            SetupRequest(attempt_id="setup_2", customer=customer, method_type="card")
        )

        customers, intents = (
            fake.api_requests("/v1/customers"),
            fake.api_requests("/v1/setup_intents"),
        )
        assert len(customers) == len(intents) == 1
        for recorded in (customers[0], intents[0]):
            assert recorded.headers["authorization"] == f"Bearer {SECRET_KEY}"
            assert recorded.headers["content-type"] == "application/x-www-form-urlencoded"
            assert recorded.headers["stripe-version"] == StripeConfig().api_version
            assert recorded.headers["idempotency-key"].startswith("setup_2:")
        assert _form(customers[0].body)["metadata[tenant_id]"] == "t_42"
        setup_form = _form(intents[0].body)
        assert setup_form["payment_method_types[]"] == "card"
        assert setup_form["usage"] == "off_session"
        assert setup_form["customer"].startswith("cus_")

    async def test_existing_customer_is_reused(
        self, provider: StripeProvider, fake: StripeControl, customer: CustomerRef
    ) -> None:
        first = await provider.create_setup(
            SetupRequest(attempt_id="setup_3", customer=customer, method_type="card")
        )
        known = CustomerRef(
            tenant_id="t_42", name="Acme Ltd", provider_customer_id=first.provider_customer_id
        )
        second = await provider.create_setup(
            SetupRequest(attempt_id="setup_4", customer=known, method_type="sepa_debit")
        )

        assert second.provider_customer_id == first.provider_customer_id
        assert len(fake.api_requests("/v1/customers")) == 1

    async def test_unconfirmed_setup_is_incomplete(
        self, provider: StripeProvider, customer: CustomerRef
    ) -> None:
        setup = await provider.create_setup(
            SetupRequest(attempt_id="setup_5", customer=customer, method_type="card")
        )
        with pytest.raises(ProviderError) as caught:
            await provider.confirm_setup(
                setup.provider_customer_id, {"setup_intent_id": setup.provider_ref}
            )
        assert caught.value.code == "setup_incomplete"

    async def test_failed_setup_is_refused(
        self, provider: StripeProvider, fake: StripeControl, customer: CustomerRef
    ) -> None:
        setup = await provider.create_setup(
            SetupRequest(attempt_id="setup_6", customer=customer, method_type="card")
        )
        fake.confirm_setup(setup.provider_ref, "pm_card_visa", outcome="failed")
        with pytest.raises(ProviderError) as caught:
            await provider.confirm_setup(
                setup.provider_customer_id, {"setup_intent_id": setup.provider_ref}
            )
        assert caught.value.code == "setup_failed"

    async def test_another_customers_setup_intent_is_refused(
        self, provider: StripeProvider, fake: StripeControl, customer: CustomerRef
    ) -> None:
        setup = await provider.create_setup(
            SetupRequest(attempt_id="setup_7", customer=customer, method_type="card")
        )
        fake.confirm_setup(setup.provider_ref, "pm_card_visa")
        with pytest.raises(ProviderError) as caught:
            await provider.confirm_setup("cus_someoneelse", {"setup_intent_id": setup.provider_ref})
        assert caught.value.code == "setup_customer_mismatch"

    async def test_processing_sepa_setup_is_pending(
        self, provider: StripeProvider, fake: StripeControl, customer: CustomerRef
    ) -> None:
        setup = await provider.create_setup(
            SetupRequest(attempt_id="setup_8", customer=customer, method_type="sepa_debit")
        )
        fake.confirm_setup(setup.provider_ref, "pm_sepa_debit", outcome="processing")
        saved = await provider.confirm_setup(
            setup.provider_customer_id, {"setup_intent": setup.provider_ref}
        )
        assert (saved.method_type, saved.status, saved.last4) == ("sepa_debit", "pending", "3000")

    async def test_unknown_method_type_is_refused_before_any_request(
        self, provider: StripeProvider, fake: StripeControl, customer: CustomerRef
    ) -> None:
        with pytest.raises(ProviderError) as caught:
            await provider.create_setup(
                SetupRequest(attempt_id="setup_9", customer=customer, method_type="mpesa")
            )
        assert caught.value.code == "method_type_not_supported"
        assert fake.api_requests() == []

    async def test_detach(
        self, provider: StripeProvider, fake: StripeControl, save_method: SaveMethod
    ) -> None:
        saved = await save_method()

        with pytest.raises(ProviderError) as caught:
            await provider.detach_method("cus_someoneelse", saved.provider_ref)
        assert caught.value.code == "method_not_owned"

        await provider.detach_method(saved.provider_customer_id, saved.provider_ref)
        assert fake.state.payment_methods[saved.provider_ref]["customer"] is None
        # Detaching again (a retried job) is not an error.
        await provider.detach_method(saved.provider_customer_id, saved.provider_ref)
        assert len(fake.api_requests(f"/v1/payment_methods/{saved.provider_ref}/detach")) == 1


class TestOffSessionCharge:
    async def test_success(
        self,
        provider: StripeProvider,
        fake: StripeControl,
        save_method: SaveMethod,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_method()
        result = await provider.create_payment(
            make_payment("att_1", "49.00", customer=customer, method=saved)
        )

        assert result.status is PaymentStatus.SUCCEEDED
        assert result.provider_ref.startswith("pi_")
        assert result.amount == Amount(Decimal("49.00"), "EUR")
        assert result.provider_receipt is not None
        assert result.provider_receipt.startswith("ch_")
        assert result.next_action is None
        assert "client_secret" not in str(result.raw)

        (recorded,) = fake.api_requests("/v1/payment_intents")
        form = _form(recorded.body)
        assert form["amount"] == "4900"
        assert form["currency"] == "eur"
        assert form["customer"] == saved.provider_customer_id
        assert form["payment_method"] == saved.provider_ref
        assert form["off_session"] == "true"
        assert form["confirm"] == "true"
        assert form["metadata[attempt_id]"] == "att_1"
        assert form["metadata[invoice_id]"] == "inv_2026_0007"
        assert recorded.headers["idempotency-key"] == "att_1:payment_intent"

        fetched = await provider.get_payment(result.provider_ref)
        assert fetched.status is PaymentStatus.SUCCEEDED
        assert fetched.provider_receipt == result.provider_receipt
        assert fetched.paid_at is not None
        assert fetched.refunded_amount == Amount(Decimal("0.00"), "EUR")

    async def test_authentication_required_fails_with_a_recovery_action(
        self,
        provider: StripeProvider,
        fake: StripeControl,
        save_method: SaveMethod,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_method("pm_card_authenticationRequired")
        result = await provider.create_payment(
            make_payment("att_2", "49.00", customer=customer, method=saved)
        )

        assert result.status is PaymentStatus.FAILED
        assert result.failure_code == "authentication_required"
        assert result.raw["decline_code"] == "authentication_required"
        assert result.failure_message is not None
        assert "authentication" in result.failure_message
        assert result.next_action is not None
        assert result.next_action.kind == "use_client_secret"
        intent = fake.state.payment_intents[result.provider_ref]
        assert result.next_action.client_secret == intent["client_secret"]

        fetched = await provider.get_payment(result.provider_ref)
        assert fetched.status is PaymentStatus.FAILED
        assert fetched.failure_code == "authentication_required"

    @pytest.mark.parametrize(
        ("test_method", "decline_code"),
        [
            ("pm_card_chargeDeclined", "generic_decline"),
            ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ],
    )
    async def test_decline(
        self,
        provider: StripeProvider,
        save_method: SaveMethod,
        make_payment: MakePayment,
        customer: CustomerRef,
        test_method: str,
        decline_code: str,
    ) -> None:
        saved = await save_method(test_method)
        result = await provider.create_payment(
            make_payment("att_3", "49.00", customer=customer, method=saved)
        )

        assert result.status is PaymentStatus.FAILED
        assert result.raw_status == "requires_payment_method"
        assert result.failure_code == "card_declined"
        assert result.raw["decline_code"] == decline_code
        assert result.failure_message == "Your card was declined."
        assert result.next_action is not None
        assert result.next_action.client_secret is not None

    async def test_sepa_charge_processes_then_settles(
        self,
        provider: StripeProvider,
        fake: StripeControl,
        customer: CustomerRef,
        make_payment: MakePayment,
    ) -> None:
        setup = await provider.create_setup(
            SetupRequest(attempt_id="setup_sepa", customer=customer, method_type="sepa_debit")
        )
        fake.confirm_setup(setup.provider_ref, "pm_sepa_debit")
        saved = await provider.confirm_setup(
            setup.provider_customer_id, {"setup_intent_id": setup.provider_ref}
        )
        result = await provider.create_payment(
            make_payment("att_sepa", "49.00", customer=customer, method=saved)
        )
        assert result.status is PaymentStatus.PROCESSING

        fake.post(f"payment_intents/{result.provider_ref}/settle", {"outcome": "succeeded"})
        assert (await provider.get_payment(result.provider_ref)).status is PaymentStatus.SUCCEEDED

    async def test_saved_method_needs_its_customer(
        self, provider: StripeProvider, fake: StripeControl, customer: CustomerRef
    ) -> None:
        request = PaymentRequest(
            attempt_id="att_4",
            reference="INV-1",
            amount=Amount(Decimal("1.00"), "EUR"),
            description="Invoice",
            customer=customer,
            saved_method_ref="pm_123",
        )
        with pytest.raises(ProviderError) as caught:
            await provider.create_payment(request)
        assert caught.value.code == "customer_required"
        assert fake.api_requests() == []

    async def test_on_session_payment_returns_the_client_secret(
        self, provider: StripeProvider, make_payment: MakePayment, customer: CustomerRef
    ) -> None:
        result = await provider.create_payment(make_payment("att_5", "12.50", customer=customer))
        assert result.status is PaymentStatus.PENDING
        assert result.next_action is not None
        assert result.next_action.kind == "use_client_secret"


class TestIdempotency:
    async def test_same_attempt_replays_the_first_result(
        self,
        provider: StripeProvider,
        fake: StripeControl,
        save_method: SaveMethod,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_method()
        request = make_payment("att_10", "49.00", customer=customer, method=saved)

        first = await provider.create_payment(request)
        second = await provider.create_payment(request)

        assert second.provider_ref == first.provider_ref
        assert second.status is PaymentStatus.SUCCEEDED
        assert len(fake.state.payment_intents) == 1
        assert len(fake.state.charges) == 1

    async def test_a_replayed_decline_is_the_same_decline(
        self,
        provider: StripeProvider,
        fake: StripeControl,
        save_method: SaveMethod,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_method("pm_card_chargeDeclined")
        request = make_payment("att_11", "49.00", customer=customer, method=saved)

        first = await provider.create_payment(request)
        second = await provider.create_payment(request)

        assert first.status is second.status is PaymentStatus.FAILED
        assert second.provider_ref == first.provider_ref
        assert len(fake.state.payment_intents) == 1

    async def test_same_attempt_with_other_parameters_is_refused(
        self,
        provider: StripeProvider,
        save_method: SaveMethod,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_method()
        await provider.create_payment(
            make_payment("att_12", "49.00", customer=customer, method=saved)
        )
        with pytest.raises(ProviderHTTPError) as caught:
            await provider.create_payment(
                make_payment("att_12", "50.00", customer=customer, method=saved)
            )
        assert caught.value.code == "idempotency_error"
        assert caught.value.status_code == 400


class TestRefunds:
    async def test_partial_then_full(
        self,
        provider: StripeProvider,
        fake: StripeControl,
        save_method: SaveMethod,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_method()
        payment = await provider.create_payment(
            make_payment("att_20", "49.00", customer=customer, method=saved)
        )

        partial = await provider.refund(
            RefundRequest(
                refund_id="rf_1",
                payment_ref=payment.provider_ref,
                amount=Amount(Decimal("10.00"), "EUR"),
                reason="requested_by_customer",
            )
        )
        assert partial.provider_ref.startswith("re_")
        assert (partial.status, partial.raw_status) == (RefundStatus.SUCCEEDED, "succeeded")
        (recorded,) = fake.api_requests("/v1/refunds")
        form = _form(recorded.body)
        assert (form["payment_intent"], form["amount"]) == (payment.provider_ref, "1000")
        assert form["reason"] == "requested_by_customer"
        assert recorded.headers["idempotency-key"] == "rf_1:refund"

        after_partial = await provider.get_payment(payment.provider_ref)
        assert after_partial.status is PaymentStatus.SUCCEEDED
        assert after_partial.refunded_amount == Amount(Decimal("10.00"), "EUR")

        rest = await provider.refund(
            RefundRequest(
                refund_id="rf_2",
                payment_ref=payment.provider_ref,
                amount=Amount(Decimal("39.00"), "EUR"),
                reason="customer left",
            )
        )
        assert rest.status is RefundStatus.SUCCEEDED
        assert _form(fake.api_requests("/v1/refunds")[1].body)["metadata[reason]"] == (
            "customer left"
        )
        after_full = await provider.get_payment(payment.provider_ref)
        assert after_full.status is PaymentStatus.REFUNDED
        assert after_full.refunded_amount == Amount(Decimal("49.00"), "EUR")

    async def test_more_than_remains_is_refused(
        self,
        provider: StripeProvider,
        save_method: SaveMethod,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_method()
        payment = await provider.create_payment(
            make_payment("att_21", "20.00", customer=customer, method=saved)
        )
        with pytest.raises(ProviderError) as caught:
            await provider.refund(
                RefundRequest(
                    refund_id="rf_3",
                    payment_ref=payment.provider_ref,
                    amount=Amount(Decimal("20.01"), "EUR"),
                )
            )
        assert caught.value.code == "amount_too_large"

    async def test_retried_refund_is_not_repeated(
        self,
        provider: StripeProvider,
        fake: StripeControl,
        save_method: SaveMethod,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_method()
        payment = await provider.create_payment(
            make_payment("att_22", "20.00", customer=customer, method=saved)
        )
        request = RefundRequest(
            refund_id="rf_4",
            payment_ref=payment.provider_ref,
            amount=Amount(Decimal("5.00"), "EUR"),
        )
        first = await provider.refund(request)
        second = await provider.refund(request)
        assert first.provider_ref == second.provider_ref
        assert len(fake.state.refunds) == 1


class TestCurrencies:
    @pytest.mark.parametrize(
        ("amount", "currency", "units"),
        [
            ("5000", "JPY", "5000"),
            ("5000", "RWF", "5000"),
            ("12.340", "KWD", "12340"),
            ("7", "ISK", "700"),
            ("10.99", "USD", "1099"),
        ],
    )
    async def test_amounts_in_minor_units(
        self,
        provider: StripeProvider,
        fake: StripeControl,
        save_method: SaveMethod,
        make_payment: MakePayment,
        customer: CustomerRef,
        amount: str,
        currency: str,
        units: str,
    ) -> None:
        saved = await save_method()
        result = await provider.create_payment(
            make_payment(f"att_{currency}", amount, currency, customer=customer, method=saved)
        )

        assert result.status is PaymentStatus.SUCCEEDED
        form = _form(fake.api_requests("/v1/payment_intents")[0].body)
        assert (form["amount"], form["currency"]) == (units, currency.lower())
        fetched = await provider.get_payment(result.provider_ref)
        assert fetched.amount == Amount(Decimal(amount), currency)

    async def test_kwd_thousandths_are_refused_before_any_request(
        self,
        provider: StripeProvider,
        fake: StripeControl,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        with pytest.raises(ProviderError) as caught:
            await provider.create_payment(
                make_payment("att_kwd", "12.345", "KWD", customer=customer)
            )
        assert caught.value.code == "amount_precision_not_supported"
        assert fake.api_requests() == []

    async def test_unsupported_currency_is_refused_before_any_request(
        self,
        provider: StripeProvider,
        fake: StripeControl,
        save_method: SaveMethod,
        make_payment: MakePayment,
        customer: CustomerRef,
    ) -> None:
        saved = await save_method()
        before = len(fake.api_requests())

        with pytest.raises(ProviderError) as caught:
            await provider.create_payment(
                make_payment("att_irr", "1000.00", "IRR", customer=customer, method=saved)
            )
        assert caught.value.code == "currency_not_supported"
        with pytest.raises(ProviderError) as refund_caught:
            await provider.refund(
                RefundRequest(
                    refund_id="rf_irr",
                    payment_ref="pi_x",
                    amount=Amount(Decimal("1.00"), "IRR"),
                )
            )
        assert refund_caught.value.code == "currency_not_supported"
        assert len(fake.api_requests()) == before
        assert not provider.supports_currency("IRR")
        assert provider.supports_currency("rwf")


class TestSecrets:
    async def test_wrong_key_error_does_not_contain_the_key(
        self, config: StripeConfig, http: httpx.AsyncClient, fake: StripeControl
    ) -> None:
        # The fake echoes a wrong key in full, as a careless provider might.
        wrong = "sk_test_wrongKeyThatMustNotLeak123456"
        provider = StripeProvider(
            config=config.model_copy(update={"secret_key": SecretStr(wrong)}), http=http
        )
        with pytest.raises(ProviderHTTPError) as caught:
            await provider.get_payment("pi_123")

        assert caught.value.status_code == 401
        rendered = " ".join(
            [str(caught.value), repr(caught.value), caught.value.message, caught.value.code]
        )
        assert wrong not in rendered
        assert SECRET_KEY not in rendered
        with pytest.raises(ProviderHTTPError) as post_caught:
            await provider.create_setup(
                SetupRequest(
                    attempt_id="s",
                    customer=CustomerRef(tenant_id="t", name="n"),
                    method_type="card",
                )
            )
        assert wrong not in str(post_caught.value)

    async def test_transport_errors_do_not_contain_the_key(self, http: httpx.AsyncClient) -> None:
        config = StripeConfig(
            api_base="http://127.0.0.1:9",
            secret_key=SecretStr(SECRET_KEY),
            publishable_key=PUBLISHABLE_KEY,
        )
        provider = StripeProvider(config=config, http=http)
        with pytest.raises(ProviderUnavailableError) as caught:
            await provider.create_setup(
                SetupRequest(
                    attempt_id="s",
                    customer=CustomerRef(tenant_id="t", name="n"),
                    method_type="card",
                )
            )
        assert SECRET_KEY not in str(caught.value)
        assert caught.value.__cause__ is None

    def test_public_config_is_only_the_publishable_key(self, provider: StripeProvider) -> None:
        assert provider.public_config() == {"publishable_key": PUBLISHABLE_KEY}

    async def test_unconfigured_provider_sends_nothing(
        self, http: httpx.AsyncClient, fake: StripeControl, customer: CustomerRef
    ) -> None:
        provider = StripeProvider(
            config=StripeConfig(api_base=fake.base_url, secret_key=SecretStr("")), http=http
        )
        assert provider.public_config() == {}
        with pytest.raises(ProviderError) as caught:
            await provider.get_payment("pi_123")
        assert caught.value.code == "provider_not_configured"
        with pytest.raises(ProviderError) as setup_caught:
            await provider.create_setup(
                SetupRequest(attempt_id="s", customer=customer, method_type="card")
            )
        assert setup_caught.value.code == "provider_not_configured"
        assert fake.api_requests() == []
