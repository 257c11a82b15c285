"""Mollie payment provider plugin (payments, mandates, recurring charges, refunds)."""

from billing.providers.mollie.config import MollieConfig
from billing.providers.mollie.provider import MollieProvider

__all__ = ["MollieConfig", "MollieProvider"]
