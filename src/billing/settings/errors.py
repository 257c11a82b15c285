"""Errors about settings and the payment methods they enable."""

from __future__ import annotations

from billing.core.errors import BadRequest, Unprocessable


class PaymentMethodNotEnabled(BadRequest):
    """The method is switched off in the settings."""

    code = "payment_method_not_enabled"

    @classmethod
    def for_method(cls, method: str, enabled: list[str]) -> PaymentMethodNotEnabled:
        """The exact message clients match on (seed 001)."""
        return cls(
            f"Payment method '{method}' is not enabled. Enabled methods: {', '.join(enabled)}"
        )


class InvalidSettings(Unprocessable):
    """The merged settings document is not valid."""

    code = "settings_invalid"


class CurrencyNotEnabled(BadRequest):
    """The currency is not enabled in the settings."""

    code = "currency_not_enabled"
