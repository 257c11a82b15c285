"""The WhatsApp plugins by key, and the one the deployment configured."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from billing.config import Settings
from billing.delivery.whatsapp.base import WhatsAppConfig, WhatsAppKey, WhatsAppProvider
from billing.delivery.whatsapp.cloud import CloudApiProvider
from billing.delivery.whatsapp.ultramsg import UltramsgProvider

PROVIDERS: Mapping[WhatsAppKey, type[WhatsAppProvider]] = {
    WhatsAppKey.CLOUD: CloudApiProvider,
    WhatsAppKey.ULTRAMSG: UltramsgProvider,
}


def configured(settings: Settings) -> bool:
    """True when a WhatsApp plugin is configured."""
    return bool(
        settings.whatsapp_provider
        and settings.whatsapp_base_url
        and settings.whatsapp_token
        and settings.whatsapp_sender_id
    )


def build_whatsapp(settings: Settings, http: httpx.AsyncClient) -> WhatsAppProvider | None:
    """The configured plugin, or None."""
    if (
        not configured(settings)
        or settings.whatsapp_token is None
        or settings.whatsapp_provider is None
    ):
        return None
    key = WhatsAppKey(settings.whatsapp_provider)
    config = WhatsAppConfig(
        base_url=settings.whatsapp_base_url,
        token=settings.whatsapp_token.get_secret_value(),
        sender_id=settings.whatsapp_sender_id,
    )
    return PROVIDERS[key](config, http=http)
