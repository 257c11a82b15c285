"""Stripe deployment configuration (``BILLING_STRIPE_*`` environment variables)."""

from __future__ import annotations

from typing import Annotated

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The version our requests are written against. Pinning it keeps response shapes stable when
# the account's default version moves; it is the version the official SDK of our test pin
# (stripe 16.1.0) sends. Webhook payloads follow the *endpoint's* version instead.
DEFAULT_API_VERSION = "2026-10-28.endive"


class StripeConfig(BaseSettings):
    """Credentials and endpoints of the operator's Stripe account.

    ``webhook_secrets`` holds one or more endpoint secrets (``whsec_...``), comma separated in the
    environment: while a secret is being rolled Stripe signs with both, and we accept either.
    """

    model_config = SettingsConfigDict(
        env_prefix="BILLING_STRIPE_",
        extra="ignore",
        # Validation errors must never echo a key back into logs.
        hide_input_in_errors=True,
    )

    api_base: str = "https://api.stripe.com"
    secret_key: SecretStr = SecretStr("")
    publishable_key: str = ""
    webhook_secrets: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    api_version: str = DEFAULT_API_VERSION

    @field_validator("api_base")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("webhook_secrets", mode="before")
    @classmethod
    def _split_secrets(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("webhook_secrets")
    @classmethod
    def _check_secret_kind(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        # A secret or publishable key pasted here is the classic cause of "every signature is
        # invalid"; refuse it at start-up instead.
        for secret in value:
            if not secret.get_secret_value().startswith("whsec_"):
                raise ValueError("webhook secrets must be endpoint secrets starting with whsec_")
        return value

    @field_validator("secret_key")
    @classmethod
    def _check_key_kind(cls, value: SecretStr) -> SecretStr:
        key = value.get_secret_value()
        if key and not key.startswith(("sk_", "rk_")):
            raise ValueError("the secret key must be a secret (sk_) or restricted (rk_) key")
        return value

    @field_validator("publishable_key")
    @classmethod
    def _check_publishable(cls, value: str) -> str:
        if value and not value.startswith("pk_"):
            raise ValueError("the publishable key must start with pk_")
        return value

    @property
    def configured(self) -> bool:
        """True when both keys are set, so payments and the browser SDK can work."""
        return bool(self.secret_key.get_secret_value()) and bool(self.publishable_key)

    def webhook_secret_values(self) -> tuple[str, ...]:
        """The endpoint secrets in clear, for signature verification only."""
        return tuple(secret.get_secret_value() for secret in self.webhook_secrets)
