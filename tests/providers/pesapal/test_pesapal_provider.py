"""The Pesapal plugin against the fake Pesapal, over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from billing.providers.base import (
    Amount,
    PaymentRequest,
    PaymentStatus,
    ProviderError,
    ProviderUnavailableError,
    RefundRequest,
    RefundStatus,
)
from billing.providers.http import TokenCache, build_http_client
from billing.providers.pesapal import (
    IpnNotificationType,
    PesapalConfig,
    PesapalProvider,
    ipn_acknowledgement,
)
from billing_fakes.server import CallbackRecorder
from tests.providers.pesapal.pesapal_helpers import CONSUMER_SECRET, FAST_RETRY, Control

RequestFactory = Callable[..., PaymentRequest]


async def _hosted_checkout(redirect_url: str, outcome: str = "completed") -> httpx.Response:
    """Play the payer's browser: open the hosted page, follow the pay link, stop at the return."""
    async with httpx.AsyncClient() as browser:
        page = await browser.get(redirect_url)
        assert page.status_code == 200
        pay_url = redirect_url.split("?")[0] + f"/pay?outcome={outcome}"
        assert f"/pay?outcome={outcome}" in page.text
        return await browser.get(pay_url)


class TestToken:
    async def test_token_is_fetched_once_and_cached(
        self, provider: PesapalProvider, pesapal: Control, make_request: RequestFactory
    ) -> None:
        payment = await provider.create_payment(make_request())
        await provider.get_payment(payment.provider_ref)
        assert len(pesapal.requests("/api/Auth/RequestToken")) == 1
        status_call = pesapal.requests("/api/Transactions/GetTransactionStatus")[0]
        assert status_call["headers"]["authorization"].startswith("Bearer ")
        assert status_call["headers"]["accept"] == "application/json"

    async def test_token_is_refreshed_before_expiry(
        self,
        http: httpx.AsyncClient,
        config: PesapalConfig,
        pesapal: Control,
        make_request: RequestFactory,
    ) -> None:
        clock = [50.0]
        provider = PesapalProvider(
            http=http, config=config, token_cache=TokenCache(lambda: clock[0]), retry=FAST_RETRY
        )
        payment = await provider.create_payment(make_request())
        clock[0] += 260  # five-minute token, 30 s margin: still fresh
        await provider.get_payment(payment.provider_ref)
        assert len(pesapal.requests("/api/Auth/RequestToken")) == 1
        clock[0] += 20
        await provider.get_payment(payment.provider_ref)
        assert len(pesapal.requests("/api/Auth/RequestToken")) == 2

    async def test_short_lived_token_is_refreshed(
        self,
        http: httpx.AsyncClient,
        config: PesapalConfig,
        pesapal: Control,
        make_request: RequestFactory,
    ) -> None:
        pesapal.post("settings", {"token_ttl_ms": 400})
        provider = PesapalProvider(
            http=http,
            config=config.model_copy(update={"token_refresh_margin_seconds": 0.1}),
            token_cache=TokenCache(),
            retry=FAST_RETRY,
        )
        payment = await provider.create_payment(make_request())
        await asyncio.sleep(0.35)
        await provider.get_payment(payment.provider_ref)
        assert len(pesapal.requests("/api/Auth/RequestToken")) == 2
        statuses = [r["path"] for r in pesapal.requests("/api/Transactions")]
        assert len(statuses) == 2  # no 401 round trip: refreshed before expiry

    async def test_401_fetches_a_new_token_once(
        self, provider: PesapalProvider, pesapal: Control, make_request: RequestFactory
    ) -> None:
        payment = await provider.create_payment(make_request())
        pesapal.post("expire-tokens")
        fetched = await provider.get_payment(payment.provider_ref)
        assert fetched.status is PaymentStatus.PENDING
        assert len(pesapal.requests("/api/Auth/RequestToken")) == 2
        assert len(pesapal.requests("/api/Transactions/GetTransactionStatus")) == 2

    async def test_bad_credentials_never_leak_the_secret(
        self,
        http: httpx.AsyncClient,
        config: PesapalConfig,
        pesapal: Control,
        make_request: RequestFactory,
    ) -> None:
        pesapal.post("settings", {"leak_credentials_in_errors": True})
        wrong = "wrong-pesapal-secret-987654321"
        provider = PesapalProvider(
            http=http,
            config=config.model_copy(update={"consumer_secret": SecretStr(wrong)}),
            token_cache=TokenCache(),
            retry=FAST_RETRY,
        )
        with pytest.raises(ProviderError) as caught:
            await provider.create_payment(make_request())
        exc = caught.value
        assert not isinstance(exc, ProviderUnavailableError)
        assert exc.code == "invalid_api_credentials"
        assert wrong not in str(exc)
        assert CONSUMER_SECRET not in str(exc)
        assert "***" in str(exc)


class TestOrders:
    async def test_submit_order(
        self,
        provider: PesapalProvider,
        pesapal: Control,
        make_request: RequestFactory,
        ipn_url: str,
    ) -> None:
        request = make_request(attempt_id="att-submit-1")
        result = await provider.create_payment(request)
        assert result.status is PaymentStatus.PENDING
        assert result.next_action is not None
        assert result.next_action.kind == "redirect"
        assert result.next_action.url is not None
        assert result.next_action.url.startswith(pesapal.base_url + "/pesapaliframe/")
        assert result.amount == Amount(Decimal("1500.00"), "KES")

        sent = pesapal.requests("/api/Transactions/SubmitOrderRequest")[0]["body"]
        assert sent["id"] == "att-submit-1"
        assert sent["amount"] == 1500.0
        assert sent["callback_url"] == request.return_url
        assert sent["billing_address"]["first_name"] == "Jane"
        assert sent["billing_address"]["last_name"] == "Doe"
        (ipn,) = pesapal.get("ipns")
        assert ipn["url"] == ipn_url
        assert sent["notification_id"] == ipn["ipn_id"]
        assert ipn["ipn_notification_type_description"] == "GET"

    async def test_ipn_registration_is_reused(
        self, provider: PesapalProvider, pesapal: Control, make_request: RequestFactory
    ) -> None:
        await provider.create_payment(make_request())
        await provider.create_payment(make_request())
        assert len(pesapal.get("ipns")) == 1
        assert len(pesapal.requests("/api/URLSetup/RegisterIPN")) == 1

    async def test_configured_ipn_id_is_used_as_is(
        self,
        http: httpx.AsyncClient,
        config: PesapalConfig,
        pesapal: Control,
        provider: PesapalProvider,
        ipn_url: str,
        make_request: RequestFactory,
    ) -> None:
        registered = await provider.client.register_ipn(ipn_url, IpnNotificationType.POST)
        fixed = PesapalProvider(
            http=http,
            config=config.model_copy(update={"ipn_id": registered["ipn_id"]}),
            token_cache=TokenCache(),
        )
        await fixed.create_payment(make_request())
        sent = pesapal.requests("/api/Transactions/SubmitOrderRequest")[0]["body"]
        assert sent["notification_id"] == registered["ipn_id"]
        assert pesapal.requests("/api/URLSetup/GetIpnList") == []

    @pytest.mark.parametrize(
        ("outcome", "status", "receipt"),
        [
            ("pending", PaymentStatus.PENDING, False),
            ("completed", PaymentStatus.SUCCEEDED, True),
            ("failed", PaymentStatus.FAILED, False),
            ("reversed", PaymentStatus.REFUNDED, True),
            ("cancelled", PaymentStatus.CANCELLED, False),
        ],
    )
    async def test_status_for_each_outcome(
        self,
        provider: PesapalProvider,
        pesapal: Control,
        make_request: RequestFactory,
        outcome: str,
        status: PaymentStatus,
        receipt: bool,
    ) -> None:
        payment = await provider.create_payment(make_request())
        pesapal.post(f"orders/{payment.provider_ref}/outcome", {"outcome": outcome})
        fetched = await provider.get_payment(payment.provider_ref)
        assert fetched.status is status
        assert fetched.amount == Amount(Decimal("1500.00"), "KES")
        assert (fetched.provider_receipt is not None) is receipt
        if status is PaymentStatus.FAILED:
            assert fetched.failure_code == "failed"
            assert fetched.failure_message == "Insufficient funds"
        if status is PaymentStatus.REFUNDED:
            assert fetched.refunded_amount == fetched.amount

    async def test_unknown_tracking_id_is_a_refusal(self, provider: PesapalProvider) -> None:
        with pytest.raises(ProviderError) as caught:
            await provider.get_payment("00000000-0000-0000-0000-000000000000")
        assert not isinstance(caught.value, ProviderUnavailableError)
        assert caught.value.code == "invalid_order_tracking_id"

    async def test_reused_merchant_reference_is_refused(
        self, provider: PesapalProvider, make_request: RequestFactory
    ) -> None:
        await provider.create_payment(make_request(attempt_id="att-dup"))
        with pytest.raises(ProviderError) as caught:
            await provider.create_payment(make_request(attempt_id="att-dup"))
        assert caught.value.code == "duplicate_merchant_reference"

    @pytest.mark.parametrize(
        ("kwargs", "code"),
        [
            ({"currency": "EUR"}, "unsupported_currency"),
            ({"amount": "0"}, "invalid_amount"),
            ({"email": None, "phone": None}, "missing_contact"),
        ],
    )
    async def test_invalid_orders_never_reach_pesapal(
        self,
        provider: PesapalProvider,
        pesapal: Control,
        make_request: RequestFactory,
        kwargs: dict[str, Any],
        code: str,
    ) -> None:
        with pytest.raises(ProviderError) as caught:
            await provider.create_payment(make_request(**kwargs))
        assert caught.value.code == code
        assert pesapal.requests("/api/Transactions") == []

    async def test_zero_decimal_currency(
        self, provider: PesapalProvider, pesapal: Control, make_request: RequestFactory
    ) -> None:
        result = await provider.create_payment(make_request(amount="50000", currency="UGX"))
        assert result.amount == Amount(Decimal(50000), "UGX")
        sent = pesapal.requests("/api/Transactions/SubmitOrderRequest")[0]["body"]
        assert sent["currency"] == "UGX"
        assert sent["amount"] == 50000

    async def test_cancel_unpaid_order(
        self, provider: PesapalProvider, make_request: RequestFactory
    ) -> None:
        payment = await provider.create_payment(make_request())
        cancelled = await provider.cancel_payment(payment.provider_ref)
        assert cancelled.status is PaymentStatus.CANCELLED
        assert (await provider.get_payment(payment.provider_ref)).status is PaymentStatus.CANCELLED


class TestIpn:
    async def test_hosted_page_sends_get_ipn_and_returns_the_browser(
        self,
        provider: PesapalProvider,
        pesapal: Control,
        receiver: CallbackRecorder,
        make_request: RequestFactory,
    ) -> None:
        request = make_request()
        payment = await provider.create_payment(request)
        assert payment.next_action is not None
        assert payment.next_action.url is not None
        back = await _hosted_checkout(payment.next_action.url)
        assert back.status_code == 302
        location = httpx.URL(back.headers["location"])
        assert str(location.copy_with(query=None)) == request.return_url
        assert location.params["OrderTrackingId"] == payment.provider_ref
        assert location.params["OrderNotificationType"] == "CALLBACKURL"

        (ipn,) = await receiver.wait_for_async(1)
        assert ipn.method == "GET"
        event = await provider.parse_callback(ipn.body, ipn.headers, ipn.query)
        assert event.provider_ref == payment.provider_ref
        assert event.reported_status is None  # Pesapal IPNs carry no status
        assert event.data["merchant_reference"] == request.attempt_id
        assert event.data["notification_type"] == "IPNCHANGE"
        (delivery,) = pesapal.get("deliveries")
        assert delivery["status_code"] == 200
        assert '"status": 200' in delivery["response"]

        fetched = await provider.get_payment(event.provider_ref)
        assert fetched.status is PaymentStatus.SUCCEEDED
        assert fetched.provider_receipt

    async def test_post_ipn_duplicated(
        self,
        http: httpx.AsyncClient,
        config: PesapalConfig,
        pesapal: Control,
        receiver: CallbackRecorder,
        make_request: RequestFactory,
    ) -> None:
        provider = PesapalProvider(
            http=http,
            config=config.model_copy(update={"ipn_notification_type": IpnNotificationType.POST}),
            token_cache=TokenCache(),
        )
        payment = await provider.create_payment(make_request())
        pesapal.post(f"orders/{payment.provider_ref}/outcome", {"outcome": "failed"})
        sent = pesapal.post(f"orders/{payment.provider_ref}/ipn", {"deliveries": 3})
        assert [d["method"] for d in sent["deliveries"]] == ["POST"] * 3
        deliveries = await receiver.wait_for_async(3)
        events = [await provider.parse_callback(d.body, d.headers, d.query) for d in deliveries]
        assert {e.dedupe_key for e in events} == {f"{payment.provider_ref}:IPNCHANGE"}
        assert deliveries[0].query == {}
        assert ipn_acknowledgement(events[0]) == {
            "orderNotificationType": "IPNCHANGE",
            "orderTrackingId": payment.provider_ref,
            "orderMerchantReference": events[0].data["merchant_reference"],
            "status": 200,
        }
        assert (await provider.get_payment(payment.provider_ref)).status is PaymentStatus.FAILED

    async def test_ipn_method_can_be_overridden(
        self,
        provider: PesapalProvider,
        pesapal: Control,
        receiver: CallbackRecorder,
        make_request: RequestFactory,
    ) -> None:
        payment = await provider.create_payment(make_request())
        pesapal.post(
            f"orders/{payment.provider_ref}/ipn",
            {"method": "POST", "notification_type": "RECURRING"},
        )
        (delivery,) = await receiver.wait_for_async(1)
        event = await provider.parse_callback(delivery.body, delivery.headers, delivery.query)
        assert event.kind == "recurring"


class TestRefund:
    async def test_refund_of_a_completed_payment(
        self, provider: PesapalProvider, pesapal: Control, make_request: RequestFactory
    ) -> None:
        payment = await provider.create_payment(make_request())
        pesapal.post(f"orders/{payment.provider_ref}/outcome", {"outcome": "completed"})
        refund_request = RefundRequest(
            refund_id="rf_1",
            payment_ref=payment.provider_ref,
            amount=Amount(Decimal("1500.00"), "KES"),
            reason="Duplicate payment",
        )
        refund = await provider.refund(refund_request)
        assert refund.status is RefundStatus.PENDING
        assert refund.provider_ref == payment.provider_ref
        (sent,) = pesapal.get("refunds")
        assert sent["amount"] == "1500.00"
        assert sent["remarks"] == "Duplicate payment"
        assert (await provider.get_payment(payment.provider_ref)).status is PaymentStatus.REFUNDED

        with pytest.raises(ProviderError) as caught:
            await provider.refund(refund_request)
        assert caught.value.code == "refund_not_allowed"

    async def test_partial_mobile_money_refund_is_refused(
        self, provider: PesapalProvider, pesapal: Control, make_request: RequestFactory
    ) -> None:
        payment = await provider.create_payment(make_request())
        pesapal.post(f"orders/{payment.provider_ref}/outcome", {"outcome": "completed"})
        receipt = (await provider.get_payment(payment.provider_ref)).provider_receipt
        with pytest.raises(ProviderError) as caught:
            await provider.refund(
                RefundRequest(
                    refund_id="rf_2",
                    payment_ref=payment.provider_ref,
                    amount=Amount(Decimal("100.00"), "KES"),
                    provider_receipt=receipt,
                )
            )
        assert caught.value.code == "partial_refund_not_allowed"

    async def test_refund_of_unpaid_order_has_no_code(
        self, provider: PesapalProvider, make_request: RequestFactory
    ) -> None:
        payment = await provider.create_payment(make_request())
        with pytest.raises(ProviderError) as caught:
            await provider.refund(
                RefundRequest(
                    refund_id="rf_3",
                    payment_ref=payment.provider_ref,
                    amount=Amount(Decimal("1500.00"), "KES"),
                )
            )
        assert caught.value.code == "missing_confirmation_code"


class TestTransport:
    async def test_submit_5xx_is_unavailable_and_not_retried(
        self, provider: PesapalProvider, pesapal: Control, make_request: RequestFactory
    ) -> None:
        request = make_request()
        await provider.client.ensure_ipn(str(request.callback_url), IpnNotificationType.GET)
        pesapal.post("faults", {"status": 502, "path": "/api/Transactions", "count": 5})
        with pytest.raises(ProviderUnavailableError):
            await provider.create_payment(request)
        assert len(pesapal.requests("/api/Transactions/SubmitOrderRequest")) == 1

    async def test_status_5xx_is_retried(
        self, provider: PesapalProvider, pesapal: Control, make_request: RequestFactory
    ) -> None:
        payment = await provider.create_payment(make_request())
        pesapal.post("faults", {"status": 503, "path": "/api/Transactions/GetTransaction"})
        assert (await provider.get_payment(payment.provider_ref)).status is PaymentStatus.PENDING
        assert len(pesapal.requests("/api/Transactions/GetTransactionStatus")) == 2

    async def test_status_keeps_failing(
        self, provider: PesapalProvider, pesapal: Control, make_request: RequestFactory
    ) -> None:
        payment = await provider.create_payment(make_request())
        pesapal.post("faults", {"status": 500, "path": "/api/Transactions/Get", "count": 10})
        with pytest.raises(ProviderUnavailableError) as caught:
            await provider.get_payment(payment.provider_ref)
        assert caught.value.code == "internal_error"
        assert len(pesapal.requests("/api/Transactions/GetTransactionStatus")) == 3

    async def test_timeout(
        self, config: PesapalConfig, pesapal: Control, make_request: RequestFactory
    ) -> None:
        pesapal.post("faults", {"status": 200, "path": "/api/Auth", "delay_ms": 300, "count": 3})
        async with build_http_client(timeout=httpx.Timeout(0.1)) as http:
            provider = PesapalProvider(
                http=http, config=config, token_cache=TokenCache(), retry=FAST_RETRY
            )
            with pytest.raises(ProviderUnavailableError) as caught:
                await provider.create_payment(make_request())
        assert caught.value.timeout is True

    async def test_connection_refused(
        self,
        http: httpx.AsyncClient,
        config: PesapalConfig,
        closed_port_url: str,
        make_request: RequestFactory,
    ) -> None:
        provider = PesapalProvider(
            http=http,
            config=config.model_copy(update={"base_url": closed_port_url}),
            token_cache=TokenCache(),
            retry=FAST_RETRY,
        )
        with pytest.raises(ProviderUnavailableError) as caught:
            await provider.get_payment("b945e4af-80a5-4ec1-8706-e03f8332fb04")
        assert caught.value.code == "transport_error"
        assert CONSUMER_SECRET not in str(caught.value)

    async def test_not_configured(
        self, http: httpx.AsyncClient, make_request: RequestFactory
    ) -> None:
        provider = PesapalProvider(http=http, config=PesapalConfig(_env_file=None))
        with pytest.raises(ProviderError) as caught:
            await provider.get_payment("x")
        assert caught.value.code == "provider_not_configured"
