"""The M-Pesa plugin against the fake Daraja, over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

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
from billing.providers.http import ProviderHTTPError, TokenCache, build_http_client
from billing.providers.mpesa import MpesaConfig, MpesaProvider, daraja_timestamp, stk_password
from billing_fakes.server import CallbackRecorder
from tests.providers.mpesa.mpesa_helpers import (
    CONSUMER_SECRET,
    FAST_RETRY,
    SECURITY_CREDENTIAL,
    Control,
)

PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
PUBLISHED_PASSWORD = (
    "MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQy"
    "YzkxOTIwMjEwNjI4MDkyNDA4"
)

RequestFactory = Callable[..., PaymentRequest]


class TestPassword:
    def test_published_sample_vector(self) -> None:
        assert stk_password("174379", PASSKEY, "20210628092408") == PUBLISHED_PASSWORD

    def test_timestamp_is_nairobi_time(self) -> None:
        moment = datetime(2021, 6, 28, 6, 24, 8, tzinfo=UTC)
        assert daraja_timestamp(moment) == "20210628092408"

    def test_timestamp_needs_an_aware_datetime(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            daraja_timestamp(datetime(2021, 6, 28, 6, 24, 8))  # noqa: DTZ001


class TestToken:
    async def test_token_is_fetched_once_and_cached(
        self, provider: MpesaProvider, daraja: Control, make_request: RequestFactory
    ) -> None:
        await provider.create_payment(make_request(attempt_id="a1"))
        await provider.create_payment(make_request(attempt_id="a2", phone="0110 000 001"))
        assert len(daraja.requests("/oauth/v1/generate")) == 1
        push = daraja.requests("/mpesa/stkpush")[0]
        assert push["headers"]["authorization"].startswith("Bearer ")

    async def test_token_is_refreshed_after_expiry(
        self,
        http: httpx.AsyncClient,
        config: MpesaConfig,
        daraja: Control,
        make_request: RequestFactory,
    ) -> None:
        clock = [1000.0]
        provider = MpesaProvider(
            http=http, config=config, token_cache=TokenCache(lambda: clock[0]), retry=FAST_RETRY
        )
        await provider.create_payment(make_request(attempt_id="a1"))
        clock[0] += 3599 - 60 - 1  # just before expiry minus the refresh margin
        await provider.create_payment(make_request(attempt_id="a2", phone="0700000002"))
        assert len(daraja.requests("/oauth/v1/generate")) == 1
        clock[0] += 2
        await provider.create_payment(make_request(attempt_id="a3", phone="0700000003"))
        assert len(daraja.requests("/oauth/v1/generate")) == 2

    async def test_rejected_token_is_replaced_and_push_sent_once_more(
        self, provider: MpesaProvider, daraja: Control, make_request: RequestFactory
    ) -> None:
        await provider.create_payment(make_request(attempt_id="a1"))
        daraja.post("expire-tokens")  # Daraja now answers 404.001.03 Invalid Access Token
        result = await provider.create_payment(make_request(attempt_id="a2", phone="0700000002"))
        assert result.status is PaymentStatus.PENDING
        assert len(daraja.requests("/oauth/v1/generate")) == 2
        # The refused push was not processed, so only two pushes exist for three requests.
        assert len(daraja.requests("/mpesa/stkpush")) == 3
        assert len(daraja.get("transactions")) == 2

    async def test_bad_credentials_never_leak_the_secret(
        self,
        http: httpx.AsyncClient,
        config: MpesaConfig,
        daraja: Control,
        make_request: RequestFactory,
    ) -> None:
        daraja.post("settings", {"leak_credentials_in_errors": True})
        wrong = "wrong-secret-value-0123456789"
        bad = config.model_copy(update={"consumer_secret": SecretStr(wrong)})
        provider = MpesaProvider(http=http, config=bad, token_cache=TokenCache(), retry=FAST_RETRY)
        with pytest.raises(ProviderHTTPError) as caught:
            await provider.create_payment(make_request())
        exc = caught.value
        assert exc.code == "400.008.01"
        assert exc.status_code == 400
        assert wrong not in str(exc)
        assert CONSUMER_SECRET not in str(exc)
        assert "***" in str(exc)
        assert exc.__cause__ is None


class TestStkPush:
    async def test_success_callback_and_query(
        self,
        provider: MpesaProvider,
        daraja: Control,
        receiver: CallbackRecorder,
        make_request: RequestFactory,
    ) -> None:
        result = await provider.create_payment(make_request(amount="10.00"))
        assert result.status is PaymentStatus.PENDING
        assert result.next_action is not None
        assert result.next_action.kind == "await_customer"
        assert result.next_action.expires_at is not None
        assert result.provider_ref.startswith("ws_CO_")
        assert result.amount == Amount(Decimal(10), "KES")

        push = daraja.requests("/mpesa/stkpush")[0]["body"]
        assert push["PhoneNumber"] == push["PartyA"] == "254712345678"
        assert push["Amount"] == 10
        assert push["Password"] == stk_password("174379", PASSKEY, push["Timestamp"])
        assert push["AccountReference"] == "INV-2024-000"  # Daraja's 12-character limit

        (delivery,) = await receiver.wait_for_async(1)
        event = await provider.parse_callback(delivery.body, delivery.headers, delivery.query)
        assert event.provider_ref == result.provider_ref
        assert event.dedupe_key == f"{result.provider_ref}:0"
        assert event.kind == "payment"
        assert event.reported_status is PaymentStatus.SUCCEEDED
        assert event.reported_amount == Amount(Decimal("10.00"), "KES")
        assert event.data["phone"] == "254712345678"
        assert isinstance(event.data["receipt"], str)
        assert len(event.data["receipt"]) == 10
        assert event.occurred_at is not None

        fetched = await provider.get_payment(result.provider_ref)
        assert fetched.status is PaymentStatus.SUCCEEDED
        assert fetched.raw_status == "0"
        assert fetched.failure_code is None

    @pytest.mark.parametrize(
        ("result_code", "expected"),
        [
            (1032, PaymentStatus.CANCELLED),
            (1037, PaymentStatus.EXPIRED),
            (1, PaymentStatus.FAILED),
        ],
    )
    async def test_unsuccessful_results_are_mapped(
        self,
        provider: MpesaProvider,
        daraja: Control,
        receiver: CallbackRecorder,
        make_request: RequestFactory,
        result_code: int,
        expected: PaymentStatus,
    ) -> None:
        daraja.post("scenario", {"result_code": result_code})
        result = await provider.create_payment(make_request())
        (delivery,) = await receiver.wait_for_async(1)
        event = await provider.parse_callback(delivery.body, delivery.headers, {})
        assert event.reported_status is expected
        assert event.reported_amount is None
        assert event.data["receipt"] is None
        fetched = await provider.get_payment(result.provider_ref)
        assert fetched.status is expected
        assert fetched.failure_code == str(result_code)
        assert fetched.failure_message

    async def test_query_before_and_after_the_result(
        self,
        provider: MpesaProvider,
        daraja: Control,
        receiver: CallbackRecorder,
        make_request: RequestFactory,
    ) -> None:
        daraja.post("scenario", {"manual": True})
        result = await provider.create_payment(make_request())
        before = await provider.get_payment(result.provider_ref)
        assert before.status is PaymentStatus.PROCESSING
        assert before.raw_status == "500.001.1001"

        triggered = daraja.post(f"stk/{result.provider_ref}/trigger", {"result_code": 0})
        assert triggered["deliveries"][0]["status_code"] == 200
        after = await provider.get_payment(result.provider_ref)
        assert after.status is PaymentStatus.SUCCEEDED
        assert len(receiver.requests) == 1

    async def test_duplicate_deliveries_share_a_dedupe_key(
        self,
        provider: MpesaProvider,
        daraja: Control,
        receiver: CallbackRecorder,
        make_request: RequestFactory,
    ) -> None:
        daraja.post("scenario", {"phone": "254712345678", "deliveries": 3})
        await provider.create_payment(make_request())
        deliveries = await receiver.wait_for_async(3)
        keys = {
            (await provider.parse_callback(d.body, d.headers, {})).dedupe_key for d in deliveries
        }
        assert len(keys) == 1

    async def test_dropped_callback_is_resolved_by_query(
        self,
        provider: MpesaProvider,
        daraja: Control,
        receiver: CallbackRecorder,
        make_request: RequestFactory,
    ) -> None:
        daraja.post("scenario", {"drop": True, "result_code": 1032})
        result = await provider.create_payment(make_request())
        assert (await provider.get_payment(result.provider_ref)).status is PaymentStatus.CANCELLED
        assert receiver.requests == []

    async def test_delayed_result_reads_processing_first(
        self,
        provider: MpesaProvider,
        daraja: Control,
        receiver: CallbackRecorder,
        make_request: RequestFactory,
    ) -> None:
        daraja.post("scenario", {"delay_ms": 150})
        result = await provider.create_payment(make_request())
        assert (await provider.get_payment(result.provider_ref)).status is PaymentStatus.PROCESSING
        await receiver.wait_for_async(1)
        assert (await provider.get_payment(result.provider_ref)).status is PaymentStatus.SUCCEEDED

    async def test_forged_callback_is_only_a_hint(
        self,
        provider: MpesaProvider,
        daraja: Control,
        receiver: CallbackRecorder,
        receiver_server_url: str,
    ) -> None:
        daraja.post(
            "forge",
            {"url": f"{receiver_server_url}/hooks/mp/stk/t_42/x", "checkout_request_id": "ws_CO_X"},
        )
        (delivery,) = await receiver.wait_for_async(1)
        event = await provider.parse_callback(delivery.body, delivery.headers, {})
        assert event.reported_status is PaymentStatus.SUCCEEDED
        # The fetch-back exposes it: Daraja knows no such push.
        with pytest.raises(ProviderError) as caught:
            await provider.get_payment(event.provider_ref)
        assert caught.value.code == "400.002.02"
        assert not isinstance(caught.value, ProviderUnavailableError)

    async def test_c2b_confirmation_over_http(
        self,
        provider: MpesaProvider,
        daraja: Control,
        receiver: CallbackRecorder,
        receiver_server_url: str,
    ) -> None:
        daraja.post(
            "c2b",
            {
                "url": f"{receiver_server_url}/hooks/mp/c2b/confirm/t_42",
                "trans_id": "RKL51ZDR4F",
                "amount": "1500.00",
                "bill_ref": "INV20240007",
            },
        )
        (delivery,) = await receiver.wait_for_async(1)
        event = await provider.parse_callback(delivery.body, delivery.headers, {})
        assert event.kind == "c2b_confirmation"
        assert event.provider_ref == "RKL51ZDR4F"
        assert event.data["account_reference"] == "INV20240007"
        assert event.reported_amount == Amount(Decimal("1500.00"), "KES")
        assert event.reported_status is PaymentStatus.SUCCEEDED


class TestRefusals:
    async def test_wrong_passkey_is_a_refusal_without_the_passkey(
        self,
        http: httpx.AsyncClient,
        config: MpesaConfig,
        daraja: Control,
        make_request: RequestFactory,
    ) -> None:
        wrong = "0" * 64
        provider = MpesaProvider(
            http=http,
            config=config.model_copy(update={"passkey": SecretStr(wrong)}),
            token_cache=TokenCache(),
            retry=FAST_RETRY,
        )
        with pytest.raises(ProviderError) as caught:
            await provider.create_payment(make_request())
        assert not isinstance(caught.value, ProviderUnavailableError)
        assert caught.value.code == "500.001.1001"
        assert wrong not in str(caught.value)
        assert PASSKEY not in str(caught.value)

    @pytest.mark.parametrize(
        ("kwargs", "code"),
        [
            ({"phone": "0812345678"}, "invalid_phone_number"),
            ({"phone": None}, "invalid_phone_number"),
            ({"amount": "10.50"}, "invalid_amount"),
            ({"amount": "0"}, "invalid_amount"),
            ({"currency": "USD"}, "unsupported_currency"),
        ],
    )
    async def test_invalid_requests_never_reach_daraja(
        self,
        provider: MpesaProvider,
        daraja: Control,
        make_request: RequestFactory,
        kwargs: dict[str, str | None],
        code: str,
    ) -> None:
        with pytest.raises(ProviderError) as caught:
            await provider.create_payment(make_request(**kwargs))
        assert caught.value.code == code
        assert daraja.requests("/mpesa") == []

    async def test_push_5xx_is_unavailable_and_not_retried(
        self, provider: MpesaProvider, daraja: Control, make_request: RequestFactory
    ) -> None:
        daraja.post("faults", {"status": 503, "path": "/mpesa/stkpush", "count": 5})
        with pytest.raises(ProviderUnavailableError) as caught:
            await provider.create_payment(make_request())
        assert caught.value.code == "500.003.1001"
        assert len(daraja.requests("/mpesa/stkpush")) == 1

    async def test_query_5xx_is_retried(
        self, provider: MpesaProvider, daraja: Control, make_request: RequestFactory
    ) -> None:
        result = await provider.create_payment(make_request())
        daraja.post("faults", {"status": 503, "path": "/mpesa/stkpushquery", "count": 2})
        fetched = await provider.get_payment(result.provider_ref)
        assert fetched.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING)
        assert len(daraja.requests("/mpesa/stkpushquery")) == 3

    async def test_push_timeout_is_unavailable_with_timeout_flag(
        self, config: MpesaConfig, daraja: Control, make_request: RequestFactory
    ) -> None:
        daraja.post("faults", {"status": 200, "path": "/mpesa/stkpush", "delay_ms": 300})
        async with build_http_client(timeout=httpx.Timeout(0.1)) as http:
            provider = MpesaProvider(
                http=http, config=config, token_cache=TokenCache(), retry=FAST_RETRY
            )
            with pytest.raises(ProviderUnavailableError) as caught:
                await provider.create_payment(make_request())
        assert caught.value.timeout is True
        assert caught.value.code == "timeout"

    async def test_transport_failure_is_unavailable(
        self,
        config: MpesaConfig,
        http: httpx.AsyncClient,
        closed_port_url: str,
        make_request: RequestFactory,
    ) -> None:
        provider = MpesaProvider(
            http=http,
            config=config.model_copy(update={"base_url": closed_port_url}),
            token_cache=TokenCache(),
            retry=FAST_RETRY,
        )
        with pytest.raises(ProviderUnavailableError) as caught:
            await provider.create_payment(make_request())
        assert caught.value.code == "transport_error"
        assert CONSUMER_SECRET not in str(caught.value)

    async def test_not_configured(
        self, http: httpx.AsyncClient, make_request: RequestFactory
    ) -> None:
        provider = MpesaProvider(http=http, config=MpesaConfig(_env_file=None))
        with pytest.raises(ProviderError) as caught:
            await provider.create_payment(make_request())
        assert caught.value.code == "provider_not_configured"


class TestReversal:
    async def test_reversal_of_a_paid_push(
        self,
        provider: MpesaProvider,
        daraja: Control,
        receiver: CallbackRecorder,
        make_request: RequestFactory,
    ) -> None:
        payment = await provider.create_payment(make_request(amount="25"))
        (callback,) = await receiver.wait_for_async(1)
        paid = await provider.parse_callback(callback.body, callback.headers, {})
        receipt = paid.data["receipt"]
        assert isinstance(receipt, str)

        refund = await provider.refund(
            RefundRequest(
                refund_id="rf_1",
                payment_ref=payment.provider_ref,
                amount=Amount(Decimal(25), "KES"),
                reason="Duplicate payment",
                provider_receipt=receipt,
            )
        )
        assert refund.status is RefundStatus.PENDING
        assert refund.provider_ref.startswith("AG_")
        sent = daraja.requests("/mpesa/reversal")[0]["body"]
        assert sent["TransactionID"] == receipt
        assert sent["SecurityCredential"] == SECURITY_CREDENTIAL
        assert sent["RecieverIdentifierType"] == "11"

        deliveries = await receiver.wait_for_async(2)
        result = deliveries[1]
        assert result.path == "/reversal/result"
        event = await provider.parse_callback(result.body, result.headers, {})
        assert event.kind == "refund"
        assert event.provider_ref == refund.provider_ref
        assert event.reported_status is PaymentStatus.REFUNDED
        assert event.data["original_transaction_id"] == receipt

    async def test_reversal_of_unknown_receipt_fails_asynchronously(
        self, provider: MpesaProvider, receiver: CallbackRecorder, daraja: Control
    ) -> None:
        refund = await provider.refund(
            RefundRequest(
                refund_id="rf_2",
                payment_ref="ws_CO_unknown",
                amount=Amount(Decimal(5), "KES"),
                provider_receipt="NOSUCHRCPT",
            )
        )
        (result,) = await receiver.wait_for_async(1)
        event = await provider.parse_callback(result.body, result.headers, {})
        assert event.provider_ref == refund.provider_ref
        assert event.reported_status is None
        assert event.data["refund_status"] == "failed"
        assert event.data["result_code"] == "R000002"

    async def test_reversal_needs_the_receipt(self, provider: MpesaProvider) -> None:
        with pytest.raises(ProviderError) as caught:
            await provider.refund(
                RefundRequest(
                    refund_id="rf_3", payment_ref="ws_CO_1", amount=Amount(Decimal(5), "KES")
                )
            )
        assert caught.value.code == "missing_receipt"

    async def test_reversal_needs_initiator_config(
        self, http: httpx.AsyncClient, config: MpesaConfig
    ) -> None:
        provider = MpesaProvider(
            http=http, config=config.model_copy(update={"initiator_name": None})
        )
        with pytest.raises(ProviderError) as caught:
            await provider.refund(
                RefundRequest(
                    refund_id="rf_4",
                    payment_ref="ws_CO_1",
                    amount=Amount(Decimal(5), "KES"),
                    provider_receipt="ABC",
                )
            )
        assert caught.value.code == "reversals_not_configured"


class TestConfig:
    def test_reads_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("BILLING_MPESA_CONSUMER_KEY", "key")
        monkeypatch.setenv("BILLING_MPESA_CONSUMER_SECRET", "very-secret")
        monkeypatch.setenv("BILLING_MPESA_SHORTCODE", "174379")
        monkeypatch.setenv("BILLING_MPESA_PASSKEY", "passkey")
        monkeypatch.setenv("BILLING_MPESA_TRANSACTION_TYPE", "CustomerBuyGoodsOnline")
        monkeypatch.setenv("BILLING_MPESA_PARTY_B", "600000")
        config = MpesaConfig()
        assert config.configured
        assert not config.reversals_configured
        assert config.base_url == "https://sandbox.safaricom.co.ke"
        assert config.till_or_paybill == "600000"
        assert "very-secret" not in repr(config)

    def test_public_config_has_no_secret(self, provider: MpesaProvider) -> None:
        public = provider.public_config()
        assert public["business_number"] == "174379"
        assert PASSKEY not in json.dumps(dict(public))
