"""Stripe payment provider plugin (PaymentIntents, SetupIntents, signed webhooks)."""

from billing.providers.stripe.config import StripeConfig
from billing.providers.stripe.provider import StripeProvider

__all__ = ["StripeConfig", "StripeProvider"]
