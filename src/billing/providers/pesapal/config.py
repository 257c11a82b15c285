"""Deployment configuration of the Pesapal 3.0 plugin (environment ``BILLING_PESAPAL_*``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["SANDBOX_BASE_URL", "IpnNotificationType", "PesapalConfig"]

SANDBOX_BASE_URL = "https://cybqa.pesapal.com/pesapalv3"


class IpnNotificationType(StrEnum):
    """HTTP method Pesapal uses to call the IPN URL; fixed when the URL is registered."""

    GET = "GET"
    POST = "POST"


class PesapalConfig(BaseSettings):
    """Pesapal credentials and options, read from ``BILLING_PESAPAL_*`` environment variables.

    Every order needs a registered IPN (``notification_id``). Set ``ipn_id`` to one registered
    ahead of time, or leave it empty and the plugin registers the payment's ``callback_url`` (or
    ``ipn_url``) on first use, reusing an existing registration of the same URL.
    """

    model_config = SettingsConfigDict(env_prefix="BILLING_PESAPAL_", extra="ignore")

    base_url: str = SANDBOX_BASE_URL
    consumer_key: str = ""
    consumer_secret: SecretStr = SecretStr("")
    ipn_id: str | None = None
    ipn_url: str | None = None
    ipn_notification_type: IpnNotificationType = IpnNotificationType.GET
    redirect_mode: Literal["TOP_WINDOW", "PARENT_WINDOW"] | None = None
    branch: str | None = None
    refund_username: str = Field(default="billing", description="Shown to the approver")
    token_refresh_margin_seconds: float = Field(default=30.0, ge=0)

    @property
    def configured(self) -> bool:
        """True when orders can be submitted (consumer key and secret set)."""
        return bool(self.consumer_key and self.consumer_secret.get_secret_value())

    def secrets(self) -> tuple[str, ...]:
        """Every credential value, for masking in error messages."""
        secret = self.consumer_secret.get_secret_value()
        return (secret,) if secret else ()
