"""A fake WhatsApp Business Cloud API (Meta's Graph API): enough of it for our plugin.

What it speaks, after Meta's reference (developers.facebook.com/docs/whatsapp/cloud-api):

* ``POST /{version}/{phone-number-id}/media``, multipart with ``messaging_product=whatsapp``,
  ``type`` (the MIME type) and ``file``: stores the file and answers ``{"id": "<media id>"}``.
* ``GET /{version}/{media-id}``: the media's ``url``, ``mime_type``, ``sha256`` and
  ``file_size``; ``GET`` on that ``url`` with the same bearer token gives the bytes back.
* ``POST /{version}/{phone-number-id}/messages``, JSON with ``messaging_product: whatsapp``,
  ``to`` and a ``type``: ``document`` (``{"id"}`` of uploaded media, or ``{"link"}``, with
  ``filename`` and ``caption``), ``template`` (an approved ``name``, ``language.code``,
  ``components`` whose body parameters must number what the template expects) or ``text``.
  Answers ``{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id":
  "wamid..."}]}`` (templates add ``message_status: accepted``).

Every call needs ``Authorization: Bearer <access token>``; errors are Graph API errors
``{"error": {"message", "type", "code", "error_subcode"?, "error_data"?, "fbtrace_id"}}``:
190 (OAuthException, 401) for a bad token, 100 for an unknown phone number id or parameter,
131008 for a missing parameter, 131053 for unusable media, 132001 for an unknown template,
132000 for a wrong number of template parameters; an injected 429 is 130429 and a 5xx 131000.

Control endpoints (no authentication; under ``/__control``): ``GET /__control/messages``
(what was sent, documents with their ``sha256`` and bytes in base64) and ``GET
/__control/media``, plus those every fake answers (:mod:`billing_fakes.base`): ``requests``,
``faults``, ``settings`` (``access_token``, ``phone_number_id``, ``templates``) and ``reset``.

:func:`create_whatsapp_cloud_app` builds the app; :func:`whatsapp_cloud_state` gives tests the
state behind it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from billing_fakes.base import FakeError, FakeProvider, bearer_token
from billing_fakes.server import ReceivedRequest

__all__ = [
    "FakeWhatsAppCloudState",
    "SentMessage",
    "WhatsAppCloudFakeSettings",
    "create_whatsapp_cloud_app",
    "whatsapp_cloud_state",
]

_VERSION = re.compile(r"\d+\.\d+")
_DOCUMENT_TYPES = frozenset(
    {
        "text/plain",
        "application/pdf",
        "application/vnd.ms-powerpoint",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
)
_MAX_DOCUMENT_BYTES = 100 * 1024 * 1024
_MAX_CAPTION = 1024


@dataclass(slots=True)
class WhatsAppCloudFakeSettings:
    """The credentials the fake accepts and the templates the business has approved."""

    access_token: str | None = "fake-whatsapp-token"  # None: any token is accepted
    phone_number_id: str = "106540352242922"
    templates: dict[str, int] = field(default_factory=lambda: {"billing_link": 2})
    """Approved template name -> number of body parameters."""


@dataclass(frozen=True, slots=True)
class Media:
    """An uploaded file."""

    id: str
    mime_type: str
    filename: str
    content: bytes

    @property
    def sha256(self) -> str:
        """The hex SHA-256 of the bytes (Graph API reports it too)."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the fake accepted: its body as sent and, for a document of uploaded media,
    the media's bytes."""

    id: str
    to: str
    type: str
    payload: dict[str, Any]
    document: Media | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON view (document bytes in base64)."""
        shown: dict[str, Any] = {
            "id": self.id,
            "to": self.to,
            "type": self.type,
            "payload": self.payload,
        }
        if self.document is not None:
            shown["document"] = {
                "media_id": self.document.id,
                "filename": self.document.filename,
                "mime_type": self.document.mime_type,
                "sha256": self.document.sha256,
                "content_base64": base64.b64encode(self.document.content).decode(),
            }
        return shown


def _graph_error(
    status: int,
    code: int,
    message: str,
    *,
    kind: str = "OAuthException",
    details: str | None = None,
    subcode: int | None = None,
) -> FakeError:
    error: dict[str, Any] = {
        "message": message,
        "type": kind,
        "code": code,
        "fbtrace_id": "A" + secrets.token_hex(10),
    }
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if subcode is not None:
        error["error_subcode"] = subcode
    return FakeError(status, {"error": error})


def _missing(name: str) -> FakeError:
    return _graph_error(
        400,
        131008,
        "(#131008) Required parameter is missing",
        details=f"Parameter '{name}' is required.",
    )


def _invalid(details: str) -> FakeError:
    return _graph_error(400, 100, "(#100) Invalid parameter", details=details)


def _multipart(received: ReceivedRequest) -> EmailMessage:
    """The multipart/form-data body, parsed as the MIME message it is."""
    content_type = received.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise _invalid("The media upload must be multipart/form-data.")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    parsed = BytesParser(policy=policy.HTTP).parsebytes(head + received.body)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _form_parts(message: EmailMessage) -> dict[str, tuple[str | None, str, bytes]]:
    """Field name -> (file name, content type, bytes)."""
    parts: dict[str, tuple[str | None, str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        parts[name] = (part.get_filename(), part.get_content_type(), content)
    return parts


class FakeWhatsAppCloudState(FakeProvider):
    """One fake WhatsApp Business account: its uploaded media and the messages it sent."""

    settable = ("access_token", "phone_number_id", "templates")

    def __init__(self, settings: WhatsAppCloudFakeSettings) -> None:
        super().__init__()
        self.settings = settings
        self.media: dict[str, Media] = {}
        self.messages: list[SentMessage] = []
        self.app = self.build_app(self._routes())

    def fault_body(self, status: int) -> Any:
        if status == 429:
            return _graph_error(429, 130429, "(#130429) Rate limit hit").body
        if status == 401:
            return _graph_error(401, 190, "Invalid OAuth access token").body
        return _graph_error(status, 131000, "(#131000) Something went wrong").body

    def authenticate(self, request: Request) -> Response | None:
        expected = self.settings.access_token
        if expected is None or bearer_token(request) == expected:
            return None
        return _graph_error(
            401, 190, "Invalid OAuth access token - Cannot parse access token"
        ).response()

    def forget(self) -> None:
        self.media.clear()
        self.messages.clear()

    def sent(self, to: str | None = None) -> list[SentMessage]:
        """The messages sent so far (to ``to`` only when given), oldest first."""
        with self.lock:
            return [m for m in self.messages if to is None or m.to == to]

    # -- API ------------------------------------------------------------------------------

    def _check_path(self, request: Request) -> None:
        version = str(request.path_params["version"])
        if not _VERSION.fullmatch(version):
            raise _graph_error(400, 2500, f"Unknown path components: /v{version}")
        phone_id = str(request.path_params["phone_number_id"])
        if phone_id != self.settings.phone_number_id:
            raise _graph_error(
                400,
                100,
                f"Unsupported post request. Object with ID '{phone_id}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support this "
                "operation.",
                kind="GraphMethodException",
                subcode=33,
            )

    async def upload(self, request: Request, received: ReceivedRequest) -> Response:
        """``POST /{version}/{phone-number-id}/media``."""
        self._check_path(request)
        parts = _form_parts(_multipart(received))
        product = parts.get("messaging_product")
        if product is None:
            raise _missing("messaging_product")
        if product[2].decode() != "whatsapp":
            raise _invalid("messaging_product must be 'whatsapp'.")
        if "file" not in parts:
            raise _missing("file")
        declared = parts["type"][2].decode() if "type" in parts else None
        if declared is None:
            raise _missing("type")
        filename, _, content = parts["file"]
        if declared not in _DOCUMENT_TYPES:
            raise _graph_error(
                400, 131053, "(#131053) Media upload error", details=f"Unsupported {declared}."
            )
        if not content or len(content) > _MAX_DOCUMENT_BYTES:
            raise _graph_error(
                400, 131053, "(#131053) Media upload error", details="Empty or too large."
            )
        media = Media(
            id=str(secrets.randbelow(10**15) + 10**15),
            mime_type=declared,
            filename=filename or "file",
            content=content,
        )
        with self.lock:
            self.media[media.id] = media
        return JSONResponse({"id": media.id})

    async def media_info(self, request: Request, received: ReceivedRequest) -> Response:
        """``GET /{version}/{media-id}``."""
        media_id = str(request.path_params["media_id"])
        with self.lock:
            media = self.media.get(media_id)
        if media is None:
            raise _invalid(f"Media {media_id} was not found.")
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": f"{base}/whatsapp_business/attachments/?mid={media.id}",
                "mime_type": media.mime_type,
                "sha256": media.sha256,
                "file_size": len(media.content),
                "id": media.id,
            }
        )

    async def media_download(self, request: Request, received: ReceivedRequest) -> Response:
        """The ``url`` of a media object: its bytes, to the same bearer token."""
        with self.lock:
            media = self.media.get(received.query.get("mid", ""))
        if media is None:
            return Response(status_code=404)
        return Response(media.content, media_type=media.mime_type)

    async def message(self, request: Request, received: ReceivedRequest) -> Response:
        """``POST /{version}/{phone-number-id}/messages``."""
        self._check_path(request)
        body = received.json
        if not isinstance(body, dict):
            raise _invalid("The body must be a JSON object.")
        if body.get("messaging_product") != "whatsapp":
            raise _missing("messaging_product")
        to = body.get("to")
        if not isinstance(to, str) or not to:
            raise _missing("to")
        if not re.fullmatch(r"\+?\d{6,15}", to):
            raise _invalid(f"The recipient {to!r} is not a valid phone number.")
        kind = body.get("type", "text")
        document: Media | None = None
        extra: dict[str, str] = {}
        if kind == "document":
            document = self._document(body.get("document"))
        elif kind == "template":
            self._template(body.get("template"))
            extra["message_status"] = "accepted"
        elif kind == "text":
            text = body.get("text")
            if not isinstance(text, dict) or not isinstance(text.get("body"), str):
                raise _missing("text.body")
        else:
            raise _invalid(f"Message type {kind!r} is not supported.")
        sent = SentMessage(
            id="wamid." + base64.b64encode(secrets.token_bytes(30)).decode(),
            to=to.lstrip("+"),
            type=str(kind),
            payload=body,
            document=document,
        )
        with self.lock:
            self.messages.append(sent)
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": sent.to}],
                "messages": [{"id": sent.id, **extra}],
            }
        )

    def _document(self, value: object) -> Media | None:
        if not isinstance(value, dict):
            raise _missing("document")
        caption = value.get("caption")
        if isinstance(caption, str) and len(caption) > _MAX_CAPTION:
            raise _invalid("The caption is longer than 1024 characters.")
        if "id" in value:
            with self.lock:
                media = self.media.get(str(value["id"]))
            if media is None:
                raise _graph_error(
                    400, 131053, "(#131053) Media upload error", details="Unknown media id."
                )
            return media
        if isinstance(value.get("link"), str):
            return None  # Meta fetches it itself; nothing to keep here
        raise _missing("document.id")

    def _template(self, value: object) -> None:
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            raise _missing("template.name")
        language = value.get("language")
        if not isinstance(language, dict) or not isinstance(language.get("code"), str):
            raise _missing("template.language.code")
        expected = self.settings.templates.get(value["name"])
        if expected is None:
            raise _graph_error(
                404,
                132001,
                "(#132001) Template name does not exist in the translation",
                details=f"template name ({value['name']}) does not exist in {language['code']}",
            )
        given = 0
        for component in value.get("components") or []:
            if isinstance(component, dict) and component.get("type") == "body":
                given += len(component.get("parameters") or [])
        if given != expected:
            raise _graph_error(
                400,
                132000,
                "(#132000) Number of parameters does not match the expected number of params",
                details=f"body: number of localizable_params ({given}) does not match the "
                f"expected number of params ({expected})",
            )

    def _routes(self) -> list[Route]:
        return [
            # "/v{version}" keeps the control routes ("/__control/...") out of the API's.
            self.api("/v{version}/{phone_number_id}/media", self.upload, methods=["POST"]),
            self.api("/v{version}/{phone_number_id}/messages", self.message, methods=["POST"]),
            self.api("/whatsapp_business/attachments/", self.media_download, methods=["GET"]),
            self.api("/v{version}/{media_id}", self.media_info, methods=["GET"]),
            self.view("/messages", lambda: [m.to_dict() for m in self.messages]),
            self.view(
                "/media",
                lambda: [
                    {"id": m.id, "mime_type": m.mime_type, "sha256": m.sha256}
                    for m in self.media.values()
                ],
            ),
        ]


def whatsapp_cloud_state(app: Starlette) -> FakeWhatsAppCloudState:
    """The in-memory state behind an app made by :func:`create_whatsapp_cloud_app`."""
    state: FakeWhatsAppCloudState = app.state.fake
    return state


def create_whatsapp_cloud_app(
    *, access_token: str | None = "fake-whatsapp-token", phone_number_id: str = "106540352242922"
) -> Starlette:
    """A fake WhatsApp Business Cloud API with its own empty state.

    Args:
        access_token: the token requests must present as ``Authorization: Bearer``; ``None``
            accepts any.
        phone_number_id: the business phone number's id, the first path segment after the
            version.
    """
    settings = WhatsAppCloudFakeSettings(access_token=access_token, phone_number_id=phone_number_id)
    return FakeWhatsAppCloudState(settings).app
