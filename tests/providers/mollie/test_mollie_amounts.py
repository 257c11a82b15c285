"""Mollie amount strings, configuration loading and status mapping (no HTTP)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from billing.core.money import minor_unit
from billing.providers.base import Amount, PaymentStatus, ProviderError, RefundStatus
from billing.providers.mollie import MollieConfig
from billing.providers.mollie.amounts import (
    SUPPORTED_CURRENCIES,
    from_mollie_amount,
    to_mollie_amount,
)
from billing.providers.mollie.client import idempotency_key
from billing.providers.mollie.mapping import mandate_status, payment_status, refund_status

CURRENCIES = sorted(SUPPORTED_CURRENCIES)


class TestAmounts:
    @pytest.mark.parametrize(
        ("value", "currency", "text"),
        [
            ("10", "EUR", "10.00"),
            ("10.5", "EUR", "10.50"),
            ("0.01", "EUR", "0.01"),
            ("5000", "JPY", "5000"),
            ("1000", "ISK", "1000"),
            ("1234567.89", "USD", "1234567.89"),
            ("1E+3", "GBP", "1000.00"),
        ],
    )
    def test_exact_strings(self, value: str, currency: str, text: str) -> None:
        assert to_mollie_amount(Amount(Decimal(value), currency)) == {
            "currency": currency,
            "value": text,
        }

    def test_parsing_keeps_the_exact_decimal(self) -> None:
        parsed = from_mollie_amount({"currency": "EUR", "value": "10.00"})
        assert parsed == Amount(Decimal("10.00"), "EUR")
        assert str(parsed.value) == "10.00"

    @pytest.mark.parametrize(
        "data",
        [None, {"currency": "EUR"}, {"currency": "EUR", "value": 10.0}, {"value": "1.00"}, "x"],
    )
    def test_malformed_amounts(self, data: object) -> None:
        with pytest.raises(ProviderError) as caught:
            from_mollie_amount(data)
        assert caught.value.code == "invalid_response"

    @pytest.mark.parametrize(
        ("value", "currency", "code"),
        [
            ("10.001", "EUR", "amount_precision_not_supported"),
            ("0.5", "JPY", "amount_precision_not_supported"),
            ("-1.00", "EUR", "amount_invalid"),
            ("NaN", "EUR", "amount_invalid"),
            ("1E+40", "EUR", "amount_invalid"),
            ("10.00", "KES", "currency_not_supported"),
            ("10", "RWF", "currency_not_supported"),
        ],
    )
    def test_refused(self, value: str, currency: str, code: str) -> None:
        with pytest.raises(ProviderError) as caught:
            to_mollie_amount(Amount(Decimal(value), currency))
        assert caught.value.code == code

    @given(
        currency=st.sampled_from(CURRENCIES),
        units=st.integers(min_value=0, max_value=10**12),
    )
    def test_round_trip(self, currency: str, units: int) -> None:
        value = Decimal(units).scaleb(-minor_unit(currency))
        sent = to_mollie_amount(Amount(value, currency))
        assert len(sent["value"].partition(".")[2]) == minor_unit(currency)
        back = from_mollie_amount(sent)
        assert back == Amount(value, currency)
        assert to_mollie_amount(back) == sent


class TestConfig:
    def test_loads_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("BILLING_MOLLIE_API_BASE", "http://127.0.0.1:4321/")
        monkeypatch.setenv("BILLING_MOLLIE_API_KEY", "live_fromTheEnvironment")
        monkeypatch.setenv("BILLING_MOLLIE_PROFILE_ID", "pfl_QkEhN94Ba")
        monkeypatch.setenv("BILLING_MOLLIE_VERIFICATION_AMOUNT", "0.10")
        config = MollieConfig()
        assert config.api_base == "http://127.0.0.1:4321"
        assert config.api_key.get_secret_value() == "live_fromTheEnvironment"
        assert config.profile_id == "pfl_QkEhN94Ba"
        assert config.verification_amount == Decimal("0.10")
        assert config.configured
        assert "live_fromTheEnvironment" not in repr(config)

    def test_defaults(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ("API_BASE", "API_KEY", "PROFILE_ID", "VERIFICATION_AMOUNT"):
            monkeypatch.delenv(f"BILLING_MOLLIE_{name}", raising=False)
        config = MollieConfig()
        assert config.api_base == "https://api.mollie.com"
        assert config.verification_amount == Decimal("0.01")
        assert not config.configured

    def test_wrong_kind_of_key_is_refused_without_echoing_it(self) -> None:
        with pytest.raises(ValidationError) as caught:
            MollieConfig.model_validate({"api_key": "sk_live_notAMollieKey"})
        assert "sk_live_notAMollieKey" not in str(caught.value)


class TestMapping:
    @pytest.mark.parametrize(
        ("raw", "status"),
        [
            ("open", PaymentStatus.PENDING),
            ("pending", PaymentStatus.PROCESSING),
            ("authorized", PaymentStatus.PROCESSING),
            ("paid", PaymentStatus.SUCCEEDED),
            ("failed", PaymentStatus.FAILED),
            ("canceled", PaymentStatus.CANCELLED),
            ("expired", PaymentStatus.EXPIRED),
        ],
    )
    def test_payment_statuses(self, raw: str, status: PaymentStatus) -> None:
        assert payment_status({"status": raw}) is status

    def test_fully_refunded_payment(self) -> None:
        amount = {"currency": "EUR", "value": "49.00"}
        assert (
            payment_status({"status": "paid", "amount": amount, "amountRefunded": amount})
            is PaymentStatus.REFUNDED
        )
        partial = {"currency": "EUR", "value": "10.00"}
        assert (
            payment_status({"status": "paid", "amount": amount, "amountRefunded": partial})
            is PaymentStatus.SUCCEEDED
        )

    @pytest.mark.parametrize(
        ("raw", "status"),
        [
            ("queued", RefundStatus.PENDING),
            ("pending", RefundStatus.PENDING),
            ("processing", RefundStatus.PENDING),
            ("refunded", RefundStatus.SUCCEEDED),
            ("failed", RefundStatus.FAILED),
            ("canceled", RefundStatus.CANCELLED),
        ],
    )
    def test_refund_statuses(self, raw: str, status: RefundStatus) -> None:
        assert refund_status(raw) is status

    def test_mandate_statuses(self) -> None:
        assert [mandate_status(s) for s in ("valid", "pending", "invalid", "revoked", None)] == [
            "valid",
            "pending",
            "invalid",
            "invalid",
            "invalid",
        ]

    def test_idempotency_keys_are_stable_uuids(self) -> None:
        assert idempotency_key("payment", "att_1") == idempotency_key("payment", "att_1")
        assert idempotency_key("payment", "att_1") != idempotency_key("refund", "att_1")
