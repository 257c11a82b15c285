"""Pesapal API 3.0 provider plugin."""

from billing.providers.pesapal.client import PesapalClient
from billing.providers.pesapal.config import IpnNotificationType, PesapalConfig
from billing.providers.pesapal.provider import PesapalProvider, ipn_acknowledgement, parse_ipn

__all__ = [
    "IpnNotificationType",
    "PesapalClient",
    "PesapalConfig",
    "PesapalProvider",
    "ipn_acknowledgement",
    "parse_ipn",
]
