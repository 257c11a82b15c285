"""The WhatsApp plugin contract."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

import httpx


class WhatsAppKey(StrEnum):
    """The WhatsApp plugins."""

    CLOUD = "cloud"
    ULTRAMSG = "ultramsg"


@dataclass(frozen=True, slots=True)
class WhatsAppConfig:
    """Deployment configuration of the plugin (``BILLING_WHATSAPP_*``)."""

    base_url: str
    token: str
    sender_id: str


class WhatsAppError(Exception):
    """The provider refused or could not be reached. ``retriable``: trying later may work
    (network errors, 429, 5xx); otherwise the request itself is wrong (bad number, 4xx)."""

    def __init__(self, message: str, *, status: int | None = None, retriable: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.retriable = retriable


class WhatsAppProvider(ABC):
    """Sends WhatsApp messages through one provider's HTTP API.

    One instance per use, holding no state between calls. Each method sends one message and
    returns the provider's message id, or raises ``WhatsAppError`` (never a secret in its
    message). Phone numbers are international, digits only (``254712345678``).
    """

    key: ClassVar[WhatsAppKey]

    def __init__(self, config: WhatsAppConfig, *, http: httpx.AsyncClient) -> None:
        self.config = config
        self.http = http

    @abstractmethod
    async def send_document(self, to: str, *, content: bytes, filename: str, caption: str) -> str:
        """Send a PDF document with a caption."""

    @abstractmethod
    async def send_link(self, to: str, *, text: str, link: str, language: str) -> str:
        """Send a short message carrying a public link (a template message where the provider
        requires one outside the 24-hour window)."""

    def _check(self, response: httpx.Response) -> None:
        if response.status_code == 429 or response.status_code >= 500:
            raise WhatsAppError(
                f"{self.key.value} answered {response.status_code}", status=response.status_code
            )
        if response.status_code >= 400:
            raise WhatsAppError(
                f"{self.key.value} refused the message ({response.status_code})",
                status=response.status_code,
                retriable=False,
            )


def phone_digits(phone: str) -> str:
    """``+254 712 345-678`` -> ``254712345678``."""
    return "".join(character for character in phone if character.isdigit())
