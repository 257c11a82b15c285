"""Mollie deployment configuration (``BILLING_MOLLIE_*`` environment variables)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class MollieConfig(BaseSettings):
    """Credentials and endpoints of the operator's Mollie account.

    ``profile_id`` and ``testmode`` matter only with an organization access token
    (``access_...``), which must name the website profile and the mode on every create call.
    ``verification_amount`` is what a first payment charges to create a mandate: Mollie allows
    zero only for cards and PayPal, so one cent works for every first-payment method.
    """

    model_config = SettingsConfigDict(
        env_prefix="BILLING_MOLLIE_",
        extra="ignore",
        # Validation errors must never echo a key back into logs.
        hide_input_in_errors=True,
    )

    api_base: str = "https://api.mollie.com"
    api_key: SecretStr = SecretStr("")
    profile_id: str | None = None
    # Organization access tokens act on live data unless told otherwise; API keys carry the mode.
    testmode: bool = False
    verification_amount: Decimal = Field(default=Decimal("0.01"), ge=0)

    @field_validator("api_base")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("api_key")
    @classmethod
    def _check_key_kind(cls, value: SecretStr) -> SecretStr:
        key = value.get_secret_value()
        if key and not key.startswith(("test_", "live_", "access_")):
            raise ValueError("the Mollie key must be an API key (test_/live_) or access_ token")
        return value

    @property
    def configured(self) -> bool:
        """True when an API key is set."""
        return bool(self.api_key.get_secret_value())
