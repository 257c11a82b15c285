"""Ultramsg (seed 003): ``POST /{instance}/messages/document`` with the PDF in base64 and
``POST /{instance}/messages/chat`` for text, each a form carrying the instance token.
https://docs.ultramsg.com/api/post/messages/document
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar

import httpx

from billing.delivery.whatsapp.base import WhatsAppError, WhatsAppKey, WhatsAppProvider


class UltramsgProvider(WhatsAppProvider):
    """Ultramsg's WhatsApp API."""

    key: ClassVar[WhatsAppKey] = WhatsAppKey.ULTRAMSG

    async def _post(self, path: str, form: dict[str, str]) -> str:
        url = f"{self.config.base_url.rstrip('/')}/{self.config.sender_id}/messages/{path}"
        try:
            response = await self.http.post(url, data={"token": self.config.token, **form})
        except httpx.HTTPError as exc:
            raise WhatsAppError(f"ultramsg unreachable: {type(exc).__name__}") from exc
        self._check(response)
        body: dict[str, Any] = response.json()
        # Ultramsg answers 200 with {"error": ...} for a refused message.
        if body.get("error") or str(body.get("sent", "")).lower() != "true":
            raise WhatsAppError(
                f"ultramsg refused the message: {body.get('error')}"[:200], retriable=False
            )
        return str(body.get("id", ""))

    async def send_document(self, to: str, *, content: bytes, filename: str, caption: str) -> str:
        """The PDF in base64, its name and a caption."""
        return await self._post(
            "document",
            {
                "to": to,
                "filename": filename,
                "document": base64.b64encode(content).decode(),
                "caption": caption,
            },
        )

    async def send_link(self, to: str, *, text: str, link: str, language: str) -> str:
        """A chat message with the text and the link."""
        return await self._post("chat", {"to": to, "body": f"{text}\n{link}"})
