"""The closed registry of provider plugins and their deployment configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from billing.providers.base import PaymentProvider, ProviderKey
from billing.providers.mollie import MollieConfig, MollieProvider
from billing.providers.mpesa import MpesaConfig, MpesaProvider
from billing.providers.pesapal import PesapalConfig, PesapalProvider
from billing.providers.stripe import StripeConfig, StripeProvider

PROVIDERS: Mapping[ProviderKey, type[PaymentProvider]] = {
    ProviderKey.STRIPE: StripeProvider,
    ProviderKey.MOLLIE: MollieProvider,
    ProviderKey.MPESA: MpesaProvider,
    ProviderKey.PESAPAL: PesapalProvider,
}


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    """Credentials and base URLs of every provider (``BILLING_<PROVIDER>_*``), read once."""

    mpesa: MpesaConfig = field(default_factory=MpesaConfig)
    pesapal: PesapalConfig = field(default_factory=PesapalConfig)
    stripe: StripeConfig = field(default_factory=StripeConfig)
    mollie: MollieConfig = field(default_factory=MollieConfig)


@dataclass(frozen=True, slots=True)
class ProviderFactory:
    """Builds stateless provider instances on the shared HTTP client."""

    settings: ProviderSettings
    http: httpx.AsyncClient

    def mpesa(self) -> MpesaProvider:
        """The M-Pesa (Daraja) plugin."""
        return MpesaProvider(http=self.http, config=self.settings.mpesa)

    def pesapal(self) -> PesapalProvider:
        """The Pesapal plugin."""
        return PesapalProvider(http=self.http, config=self.settings.pesapal)

    def stripe(self) -> StripeProvider:
        """The Stripe plugin."""
        return StripeProvider(http=self.http, config=self.settings.stripe)

    def mollie(self) -> MollieProvider:
        """The Mollie plugin."""
        return MollieProvider(http=self.http, config=self.settings.mollie)

    def build(self, key: ProviderKey) -> PaymentProvider:
        """The plugin registered under ``key``."""
        builders = {
            ProviderKey.MPESA: self.mpesa,
            ProviderKey.PESAPAL: self.pesapal,
            ProviderKey.STRIPE: self.stripe,
            ProviderKey.MOLLIE: self.mollie,
        }
        return builders[key]()
