"""The WhatsApp Business Cloud API (Meta Graph API).

A document is uploaded first (``POST /{phone-number-id}/media``, multipart) and then sent by
its media id (``POST /{phone-number-id}/messages``, ``type: document``); a link goes out as an
approved template message (``type: template``) whose body takes the text and the link, since
business-initiated messages outside the 24-hour window must be templates.
https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from billing.delivery.whatsapp.base import WhatsAppError, WhatsAppKey, WhatsAppProvider

GRAPH_VERSION = "v21.0"
LINK_TEMPLATE = "billing_link"
"""The template (body: ``{{1}}`` the text, ``{{2}}`` the link) the operator has approved."""


class CloudApiProvider(WhatsAppProvider):
    """WhatsApp Business Cloud API."""

    key: ClassVar[WhatsAppKey] = WhatsAppKey.CLOUD

    def _url(self, path: str) -> str:
        base = self.config.base_url.rstrip("/")
        return f"{base}/{GRAPH_VERSION}/{self.config.sender_id}/{path}"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.token}"}

    async def _post(self, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self.http.post(self._url(path), headers=self._headers(), **kwargs)
        except httpx.HTTPError as exc:
            raise WhatsAppError(f"cloud API unreachable: {type(exc).__name__}") from exc
        self._check(response)
        body: dict[str, Any] = response.json()
        return body

    async def _message(self, payload: dict[str, Any]) -> str:
        body = await self._post("messages", json={"messaging_product": "whatsapp", **payload})
        try:
            return str(body["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise WhatsAppError("cloud API answered without a message id") from exc

    async def send_document(self, to: str, *, content: bytes, filename: str, caption: str) -> str:
        """Upload the PDF, then send it as a document message."""
        uploaded = await self._post(
            "media",
            data={"messaging_product": "whatsapp", "type": "application/pdf"},
            files={"file": (filename, content, "application/pdf")},
        )
        media_id = uploaded.get("id")
        if not media_id:
            raise WhatsAppError("cloud API answered the upload without a media id")
        return await self._message(
            {
                "to": to,
                "type": "document",
                "document": {"id": str(media_id), "filename": filename, "caption": caption},
            }
        )

    async def send_link(self, to: str, *, text: str, link: str, language: str) -> str:
        """A template message with the text and the link."""
        return await self._message(
            {
                "to": to,
                "type": "template",
                "template": {
                    "name": LINK_TEMPLATE,
                    "language": {"code": language},
                    "components": [
                        {
                            "type": "body",
                            "parameters": [
                                {"type": "text", "text": text},
                                {"type": "text", "text": link},
                            ],
                        }
                    ],
                },
            }
        )
