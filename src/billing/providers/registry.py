"""The closed registry of provider plugins and their deployment configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

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


P = TypeVar("P", bound=PaymentProvider)


@dataclass(frozen=True, slots=True)
class ProviderFactory:
    """Builds stateless plugin instances from the one registry (``PROVIDERS``), each with its
    deployment configuration, on the shared HTTP client."""

    settings: ProviderSettings
    http: httpx.AsyncClient

    def build(self, key: ProviderKey) -> PaymentProvider:
        """The plugin registered under ``key``."""
        plugin: PaymentProvider = PROVIDERS[key](http=self.http, config=self.config(key))  # type: ignore[call-arg]
        return plugin

    def build_as(self, key: ProviderKey, plugin_class: type[P]) -> P:
        """The plugin under ``key``, for calls only that plugin offers (M-Pesa's C2B
        confirmation, say)."""
        plugin = self.build(key)
        if not isinstance(plugin, plugin_class):
            raise TypeError(f"{key} is not a {plugin_class.__name__}")
        return plugin

    def config(self, key: ProviderKey) -> MpesaConfig | PesapalConfig | StripeConfig | MollieConfig:
        """The deployment configuration of ``key``."""
        configs: dict[ProviderKey, MpesaConfig | PesapalConfig | StripeConfig | MollieConfig] = {
            ProviderKey.MPESA: self.settings.mpesa,
            ProviderKey.PESAPAL: self.settings.pesapal,
            ProviderKey.STRIPE: self.settings.stripe,
            ProviderKey.MOLLIE: self.settings.mollie,
        }
        return configs[key]

    def configured(self, key: ProviderKey) -> bool:
        """True when the deployment holds credentials for ``key``."""
        return self.config(key).configured
