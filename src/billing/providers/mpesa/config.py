"""Deployment configuration of the M-Pesa Daraja plugin (environment ``BILLING_MPESA_*``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["SANDBOX_BASE_URL", "MpesaConfig", "MpesaTransactionType"]

SANDBOX_BASE_URL = "https://sandbox.safaricom.co.ke"


class MpesaTransactionType(StrEnum):
    """STK push ``TransactionType``: Paybill or Till (Buy Goods)."""

    PAYBILL = "CustomerPayBillOnline"
    BUY_GOODS = "CustomerBuyGoodsOnline"


class MpesaConfig(BaseSettings):
    """Daraja credentials and options, read from ``BILLING_MPESA_*`` environment variables.

    For a Till, ``shortcode`` is the head-office/store number the passkey belongs to and
    ``party_b`` the till number (a mismatch gives result ``2028``). Reversals additionally need an
    initiator with the "Org Reversals Initiator" role, its RSA-encrypted ``security_credential``
    and the two URLs Daraja posts the asynchronous result to.
    """

    model_config = SettingsConfigDict(env_prefix="BILLING_MPESA_", extra="ignore")

    base_url: str = SANDBOX_BASE_URL
    consumer_key: str = ""
    consumer_secret: SecretStr = SecretStr("")
    shortcode: str = ""
    passkey: SecretStr = SecretStr("")
    transaction_type: MpesaTransactionType = MpesaTransactionType.PAYBILL
    party_b: str | None = Field(default=None, description="Till number; defaults to shortcode")
    initiator_name: str | None = None
    security_credential: SecretStr | None = None
    reversal_result_url: str | None = None
    reversal_timeout_url: str | None = None
    default_callback_url: str | None = Field(
        default=None, description="STK CallBackURL when the request carries none"
    )
    stk_expiry_seconds: int = Field(default=120, ge=1)
    token_refresh_margin_seconds: float = Field(default=60.0, ge=0)

    @property
    def configured(self) -> bool:
        """True when STK push can be used (OAuth credentials, shortcode and passkey set)."""
        return bool(
            self.consumer_key
            and self.consumer_secret.get_secret_value()
            and self.shortcode
            and self.passkey.get_secret_value()
        )

    @property
    def reversals_configured(self) -> bool:
        """True when the Reversal API can be called as well."""
        return bool(
            self.configured
            and self.initiator_name
            and self.security_credential is not None
            and self.security_credential.get_secret_value()
            and self.reversal_result_url
            and self.reversal_timeout_url
        )

    @property
    def status_queries_configured(self) -> bool:
        """True when the Transaction Status API can be called (to confirm C2B payments)."""
        return bool(
            self.configured
            and self.initiator_name
            and self.security_credential is not None
            and self.security_credential.get_secret_value()
        )

    @property
    def till_or_paybill(self) -> str:
        """``PartyB`` of an STK push: the till for Buy Goods, else the shortcode."""
        return self.party_b or self.shortcode

    def secrets(self) -> tuple[str, ...]:
        """Every credential value, for masking in error messages."""
        values = [self.consumer_secret.get_secret_value(), self.passkey.get_secret_value()]
        if self.security_credential is not None:
            values.append(self.security_credential.get_secret_value())
        return tuple(v for v in values if v)
