"""The callback URLs the service gives providers, each carrying the deployment's secret token.

Daraja, Pesapal and Mollie sign nothing. Every URL we hand them carries an unguessable token
derived from ``BILLING_CALLBACK_SECRET`` (one per provider, so one leaked URL reveals neither
the secret nor another provider's token); a delivery without it is answered 404 and not stored.
Stripe signs its events, so its endpoint needs no token.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from billing.config import Settings
from billing.core.crypto import tokens_match
from billing.providers.base import ProviderKey

API = "/api/v1"
TOKEN_PARAMETER = "token"


def token_for(settings: Settings, provider: ProviderKey) -> str:
    """The secret token of ``provider``'s callback URLs."""
    return settings.callback_token(provider.value)


def token_valid(settings: Settings, provider: ProviderKey, presented: str | None) -> bool:
    """Constant-time check of a presented token."""
    return tokens_match(presented, token_for(settings, provider))


def _with_token(base_url: str, path: str, settings: Settings, provider: ProviderKey) -> str:
    token = quote(token_for(settings, provider), safe="")
    return f"{base_url}{API}{path}?{TOKEN_PARAMETER}={token}"


def mpesa_stk_url(base_url: str, settings: Settings) -> str:
    """``CallBackURL`` of an STK push."""
    return _with_token(base_url, "/callbacks/mpesa", settings, ProviderKey.MPESA)


def mpesa_confirmation_url(base_url: str, settings: Settings) -> str:
    """C2B ``ConfirmationURL`` to register with Daraja."""
    return _with_token(base_url, "/callbacks/mpesa/confirmation", settings, ProviderKey.MPESA)


def mpesa_validation_url(base_url: str, settings: Settings) -> str:
    """C2B ``ValidationURL`` to register with Daraja."""
    return _with_token(base_url, "/callbacks/mpesa/validation", settings, ProviderKey.MPESA)


def mpesa_status_result_url(base_url: str, settings: Settings) -> str:
    """``ResultURL`` (and ``QueueTimeOutURL``) of a Transaction Status query."""
    return _with_token(base_url, "/callbacks/mpesa/transaction-status", settings, ProviderKey.MPESA)


def pesapal_ipn_url(base_url: str, settings: Settings) -> str:
    """The IPN URL registered with Pesapal: the token is a path segment, because Pesapal
    appends its own query string to the URL."""
    token = quote(token_for(settings, ProviderKey.PESAPAL), safe="")
    return f"{base_url}{API}/callbacks/pesapal/ipn/{token}"


def mollie_webhook_url(base_url: str, settings: Settings) -> str:
    """``webhookUrl`` of a Mollie payment."""
    return _with_token(base_url, "/webhooks/mollie", settings, ProviderKey.MOLLIE)


def stripe_webhook_url(base_url: str) -> str:
    """The endpoint to configure in Stripe's dashboard (events are signed)."""
    return f"{base_url}{API}/webhooks/stripe"


def webhook_url(base_url: str, settings: Settings, provider: ProviderKey) -> str:
    """Where ``provider`` notifies us about saved methods and charges."""
    if provider is ProviderKey.MOLLIE:
        return mollie_webhook_url(base_url, settings)
    if provider is ProviderKey.STRIPE:
        return stripe_webhook_url(base_url)
    if provider is ProviderKey.PESAPAL:
        return pesapal_ipn_url(base_url, settings)
    return mpesa_stk_url(base_url, settings)


def all_callback_urls(base_url: str, settings: Settings) -> dict[str, str]:
    """Every URL an operator registers with a provider, by name (``billing callback-urls``)."""
    return {
        "mpesa_stk_callback": mpesa_stk_url(base_url, settings),
        "mpesa_c2b_confirmation": mpesa_confirmation_url(base_url, settings),
        "mpesa_c2b_validation": mpesa_validation_url(base_url, settings),
        "mpesa_transaction_status_result": mpesa_status_result_url(base_url, settings),
        "pesapal_ipn": pesapal_ipn_url(base_url, settings),
        "mollie_webhook": mollie_webhook_url(base_url, settings),
        "stripe_webhook": stripe_webhook_url(base_url),
    }


@dataclass(frozen=True, slots=True)
class CallbackUrls:
    """The callback URLs of one deployment at one public base URL."""

    base_url: str
    settings: Settings

    def webhook(self, provider: ProviderKey) -> str:
        """Where ``provider`` notifies us about saved methods and charges."""
        return webhook_url(self.base_url, self.settings, provider)

    def mpesa_stk(self) -> str:
        """``CallBackURL`` of an STK push."""
        return mpesa_stk_url(self.base_url, self.settings)

    def pesapal_ipn(self) -> str:
        """The IPN URL registered with Pesapal."""
        return pesapal_ipn_url(self.base_url, self.settings)

    def pesapal_return(self) -> str:
        """Where Pesapal sends the payer's browser back (not a delivery: no token)."""
        return f"{self.base_url}{API}/payments/pesapal/return"

    def mpesa_status_result(self) -> str:
        """``ResultURL`` of a Transaction Status query."""
        return mpesa_status_result_url(self.base_url, self.settings)
