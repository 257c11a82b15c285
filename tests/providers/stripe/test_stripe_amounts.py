"""Stripe amount conversion, configuration loading and status mapping (no HTTP)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from billing.core.money import minor_unit
from billing.providers.base import Amount, PaymentStatus, ProviderError, RefundStatus
from billing.providers.stripe import StripeConfig
from billing.providers.stripe.amounts import (
    SUPPORTED_CURRENCIES,
    THREE_DECIMAL,
    WHOLE_UNITS_ONLY,
    ZERO_DECIMAL,
    from_stripe_amount,
    stripe_exponent,
    to_stripe_amount,
)
from billing.providers.stripe.mapping import payment_status, refund_status, setup_status
from tests.providers.stripe.stripe_support import WEBHOOK_SECRET

CURRENCIES = sorted(SUPPORTED_CURRENCIES)


def _step(currency: str) -> int:
    """The smallest Stripe integer step a charge in ``currency`` may move by."""
    if currency in THREE_DECIMAL:
        return 10
    if currency in WHOLE_UNITS_ONLY:
        return 100
    if currency in ZERO_DECIMAL or stripe_exponent(currency) <= minor_unit(currency):
        return 1
    # ISO has fewer decimals than Stripe's representation (none today besides ISK).
    return int(10 ** (stripe_exponent(currency) - minor_unit(currency)))


class TestConversion:
    @pytest.mark.parametrize(
        ("value", "currency", "units"),
        [
            ("10.99", "EUR", 1099),
            ("0.50", "USD", 50),
            ("5000", "JPY", 5000),
            ("5000", "RWF", 5000),
            ("250000", "UGX", 250000),
            ("1234", "MGA", 1234),
            ("1.230", "KWD", 1230),
            ("12.340", "BHD", 12340),
            ("5", "ISK", 500),
            ("1000", "HUF", 100000),
            ("1500", "KES", 150000),
        ],
    )
    def test_known_amounts(self, value: str, currency: str, units: int) -> None:
        amount = Amount(Decimal(value), currency)
        assert to_stripe_amount(amount) == units
        assert from_stripe_amount(units, currency.lower()) == amount

    @pytest.mark.parametrize(
        ("value", "currency"),
        [
            ("1.235", "KWD"),  # Stripe needs the last of three decimals to be 0
            ("100.50", "MGA"),  # ISO has cents, Stripe's MGA is zero-decimal
            ("10.50", "HUF"),  # whole forints only
            ("10.999", "EUR"),  # more precision than the currency has
        ],
    )
    def test_amounts_stripe_cannot_represent(self, value: str, currency: str) -> None:
        with pytest.raises(ProviderError) as caught:
            to_stripe_amount(Amount(Decimal(value), currency))
        assert caught.value.code == "amount_precision_not_supported"

    @pytest.mark.parametrize("currency", ["IRR", "KPW", "XXX", "ABC"])
    def test_unsupported_currencies(self, currency: str) -> None:
        with pytest.raises(ProviderError) as caught:
            to_stripe_amount(Amount(Decimal(1), currency))
        assert caught.value.code == "currency_not_supported"

    @pytest.mark.parametrize("value", ["-1.00", "NaN", "Infinity"])
    def test_invalid_values(self, value: str) -> None:
        with pytest.raises(ProviderError) as caught:
            to_stripe_amount(Amount(Decimal(value), "EUR"))
        assert caught.value.code == "amount_invalid"

    def test_rwf_and_jpy_are_zero_decimal(self) -> None:
        assert stripe_exponent("RWF") == stripe_exponent("jpy") == 0
        assert stripe_exponent("KWD") == 3
        assert stripe_exponent("EUR") == stripe_exponent("ISK") == 2

    @given(currency=st.sampled_from(CURRENCIES), steps=st.integers(0, 10**9))
    def test_units_round_trip(self, currency: str, steps: int) -> None:
        units = steps * _step(currency)
        assert to_stripe_amount(from_stripe_amount(units, currency.lower())) == units

    @given(
        currency=st.sampled_from(CURRENCIES),
        value=st.decimals(min_value=0, max_value=10**7, places=3, allow_nan=False),
    )
    def test_amounts_round_trip_or_are_refused(self, currency: str, value: Decimal) -> None:
        amount = Amount(value, currency)
        refused: str | None = None
        try:
            units = to_stripe_amount(amount)
        except ProviderError as exc:
            refused = exc.code
        if refused is not None:
            assert refused == "amount_precision_not_supported"
            return
        back = from_stripe_amount(units, currency)
        assert back.value == value
        assert back.currency == currency


class TestConfig:
    def test_loads_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("BILLING_STRIPE_API_BASE", "http://127.0.0.1:1234/")
        monkeypatch.setenv("BILLING_STRIPE_SECRET_KEY", "sk_test_env")
        monkeypatch.setenv("BILLING_STRIPE_PUBLISHABLE_KEY", "pk_test_env")
        monkeypatch.setenv("BILLING_STRIPE_WEBHOOK_SECRETS", f"{WEBHOOK_SECRET}, whsec_old")
        monkeypatch.setenv("BILLING_STRIPE_API_VERSION", "2024-06-20")

        config = StripeConfig()

        assert config.api_base == "http://127.0.0.1:1234"
        assert config.secret_key.get_secret_value() == "sk_test_env"
        assert config.webhook_secret_values() == (WEBHOOK_SECRET, "whsec_old")
        assert config.api_version == "2024-06-20"
        assert config.configured
        assert "sk_test_env" not in repr(config)
        assert WEBHOOK_SECRET not in repr(config)

    def test_defaults(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ("API_BASE", "SECRET_KEY", "PUBLISHABLE_KEY", "WEBHOOK_SECRETS"):
            monkeypatch.delenv(f"BILLING_STRIPE_{name}", raising=False)
        config = StripeConfig()
        assert config.api_base == "https://api.stripe.com"
        assert not config.configured
        assert config.webhook_secrets == ()

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("webhook_secrets", "sk_test_pastedTheWrongThing"),
            ("secret_key", "pk_test_notASecretKey"),
            ("publishable_key", "sk_test_notPublishable"),
        ],
    )
    def test_wrong_kind_of_key_is_refused_without_echoing_it(self, field: str, value: str) -> None:
        with pytest.raises(ValidationError) as caught:
            StripeConfig.model_validate({field: value})
        assert value not in str(caught.value)


class TestMapping:
    @pytest.mark.parametrize(
        ("intent", "status"),
        [
            ({"status": "requires_payment_method"}, PaymentStatus.PENDING),
            (
                {"status": "requires_payment_method", "last_payment_error": {"code": "x"}},
                PaymentStatus.FAILED,
            ),
            ({"status": "requires_confirmation"}, PaymentStatus.PENDING),
            ({"status": "requires_action"}, PaymentStatus.PENDING),
            ({"status": "processing"}, PaymentStatus.PROCESSING),
            ({"status": "requires_capture"}, PaymentStatus.PROCESSING),
            ({"status": "succeeded"}, PaymentStatus.SUCCEEDED),
            ({"status": "canceled"}, PaymentStatus.CANCELLED),
            (
                {
                    "status": "succeeded",
                    "amount": 4900,
                    "latest_charge": {"id": "ch_1", "amount_refunded": 4900},
                },
                PaymentStatus.REFUNDED,
            ),
            (
                {
                    "status": "succeeded",
                    "amount": 4900,
                    "latest_charge": {"id": "ch_1", "amount_refunded": 100},
                },
                PaymentStatus.SUCCEEDED,
            ),
        ],
    )
    def test_payment_intent_statuses(
        self, intent: dict[str, object], status: PaymentStatus
    ) -> None:
        assert payment_status(intent) is status

    @pytest.mark.parametrize(
        ("raw", "status"),
        [
            ("pending", RefundStatus.PENDING),
            ("requires_action", RefundStatus.PENDING),
            ("succeeded", RefundStatus.SUCCEEDED),
            ("failed", RefundStatus.FAILED),
            ("canceled", RefundStatus.CANCELLED),
        ],
    )
    def test_refund_statuses(self, raw: str, status: RefundStatus) -> None:
        assert refund_status(raw) is status

    def test_setup_statuses(self) -> None:
        assert setup_status({"status": "succeeded"}) == "valid"
        assert setup_status({"status": "processing"}) == "pending"
        assert setup_status({"status": "requires_payment_method"}) == "pending"
        assert setup_status({"status": "requires_payment_method", "last_setup_error": {}}) == (
            "pending"
        )
        assert (
            setup_status({"status": "requires_payment_method", "last_setup_error": {"code": "x"}})
            == "invalid"
        )
        assert setup_status({"status": "canceled"}) == "invalid"
