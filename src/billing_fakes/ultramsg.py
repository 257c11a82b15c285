"""A fake Ultramsg WhatsApp API (seed 003's provider): enough of it for our plugin.

What it speaks, after docs.ultramsg.com:

* ``POST /{instance_id}/messages/document``: ``token``, ``to``, ``filename`` and ``document``
  (an HTTP link or the file in base64, at most 10,000,000 characters), optional ``caption``
  (at most 1024 characters).
* ``POST /{instance_id}/messages/chat``: ``token``, ``to`` and ``body`` (at most 4096
  characters).

Parameters come form-encoded or as JSON, and ``token`` may also be a query parameter. A
message taken answers ``{"sent": "true", "message": "ok", "id": <n>}``; Ultramsg answers a
refusal with HTTP 200 and ``{"error": ...}`` (a wrong token, a missing or invalid field), and
an unknown instance with 404.

Control endpoints (no authentication; under ``/__control``): ``GET /__control/messages``
(what was sent, documents decoded, their ``sha256`` and bytes in base64), plus those every
fake answers (:mod:`billing_fakes.base`): ``requests``, ``faults``, ``settings``
(``instance_id``, ``token``) and ``reset``.

:func:`create_ultramsg_app` builds the app; :func:`ultramsg_state` gives tests the state
behind it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from billing_fakes.base import FakeError, FakeProvider
from billing_fakes.server import ReceivedRequest

__all__ = [
    "FakeUltramsgState",
    "UltramsgFakeSettings",
    "UltramsgMessage",
    "create_ultramsg_app",
    "ultramsg_state",
]

_MAX_BASE64 = 10_000_000
_MAX_CAPTION = 1024
_MAX_BODY = 4096
_PHONE = re.compile(r"\+?\d{6,15}|\d{6,15}@c\.us")


@dataclass(slots=True)
class UltramsgFakeSettings:
    """The instance and token the fake accepts."""

    instance_id: str = "instance1150"
    token: str = "fake-ultramsg-token"


@dataclass(frozen=True, slots=True)
class UltramsgMessage:
    """A message the fake accepted; a document's bytes decoded (``None`` for a link)."""

    id: int
    to: str
    type: str
    fields: dict[str, str]
    content: bytes | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON view (a document's bytes in base64, not its long field)."""
        fields = {key: value for key, value in self.fields.items() if key != "document"}
        shown: dict[str, Any] = {"id": self.id, "to": self.to, "type": self.type, **fields}
        if self.content is not None:
            shown["sha256"] = hashlib.sha256(self.content).hexdigest()
            shown["content_base64"] = base64.b64encode(self.content).decode()
        return shown


def _refused(error: Any) -> FakeError:
    # Ultramsg refuses with 200 and an error body, not with an HTTP error status.
    return FakeError(200, {"error": error})


def _fields(received: ReceivedRequest) -> dict[str, str]:
    """The parameters: query string, then the form or JSON body over it."""
    fields = dict(received.query)
    body = received.json
    if isinstance(body, dict):
        fields.update({str(k): str(v) for k, v in body.items() if v is not None})
    elif "x-www-form-urlencoded" in received.headers.get("content-type", ""):
        fields.update({str(k): str(v) for k, v in received.params.items()})
    return fields


class FakeUltramsgState(FakeProvider):
    """One fake Ultramsg instance and the messages it sent."""

    settable = ("instance_id", "token")

    def __init__(self, settings: UltramsgFakeSettings) -> None:
        super().__init__()
        self.settings = settings
        self.messages: list[UltramsgMessage] = []
        self.app = self.build_app(self._routes())

    def fault_body(self, status: int) -> Any:
        return {"error": "injected fault", "status": status}

    def forget(self) -> None:
        self.messages.clear()

    def sent(self, to: str | None = None) -> list[UltramsgMessage]:
        """The messages sent so far (to ``to`` only when given), oldest first."""
        with self.lock:
            return [m for m in self.messages if to is None or m.to == to]

    def _accept(self, request: Request, received: ReceivedRequest) -> dict[str, str]:
        if str(request.path_params["instance_id"]) != self.settings.instance_id:
            raise FakeError(404, {"error": "instance not found"})
        fields = _fields(received)
        if fields.get("token") != self.settings.token:
            raise _refused("Wrong token. Please provide token as a GET parameter.")
        to = fields.get("to", "")
        if not to:
            raise _refused([{"to": "is required"}])
        if not _PHONE.fullmatch(to):
            raise _refused([{"to": "invalid number, use the international format"}])
        return fields

    def _record(self, to: str, kind: str, fields: dict[str, str], content: bytes | None) -> int:
        with self.lock:
            number = len(self.messages) + 1
            kept = {key: value for key, value in fields.items() if key != "token"}
            self.messages.append(UltramsgMessage(number, to.lstrip("+"), kind, kept, content))
        return number

    async def document(self, request: Request, received: ReceivedRequest) -> Response:
        """``POST /{instance_id}/messages/document``."""
        fields = self._accept(request, received)
        filename = fields.get("filename", "")
        document = fields.get("document", "")
        if not filename:
            raise _refused([{"filename": "is required"}])
        if len(filename) > 255:
            raise _refused([{"filename": "max length is 255"}])
        if not document:
            raise _refused([{"document": "is required"}])
        if len(fields.get("caption", "")) > _MAX_CAPTION:
            raise _refused([{"caption": "max length is 1024"}])
        content: bytes | None = None
        if not document.startswith(("http://", "https://")):
            if len(document) > _MAX_BASE64:
                raise _refused([{"document": "max base64 length is 10,000,000"}])
            try:
                content = base64.b64decode(document, validate=True)
            except (binascii.Error, ValueError):
                raise _refused([{"document": "invalid base64 or URL"}]) from None
        number = self._record(fields["to"], "document", fields, content)
        return JSONResponse({"sent": "true", "message": "ok", "id": number})

    async def chat(self, request: Request, received: ReceivedRequest) -> Response:
        """``POST /{instance_id}/messages/chat``."""
        fields = self._accept(request, received)
        body = fields.get("body", "")
        if not body:
            raise _refused([{"body": "is required"}])
        if len(body) > _MAX_BODY:
            raise _refused([{"body": "max length is 4096"}])
        number = self._record(fields["to"], "chat", fields, None)
        return JSONResponse({"sent": "true", "message": "ok", "id": number})

    def _routes(self) -> list[Route]:
        # The token is checked per request (it may be in the query or the body), so the
        # routes are not "authenticated" in the base class's sense.
        return [
            self.view("/messages", lambda: [m.to_dict() for m in self.messages]),
            self.api(
                "/{instance_id}/messages/document",
                self.document,
                methods=["POST"],
                authenticated=False,
            ),
            self.api(
                "/{instance_id}/messages/chat", self.chat, methods=["POST"], authenticated=False
            ),
        ]


def ultramsg_state(app: Starlette) -> FakeUltramsgState:
    """The in-memory state behind an app made by :func:`create_ultramsg_app`."""
    state: FakeUltramsgState = app.state.fake
    return state


def create_ultramsg_app(
    *, instance_id: str = "instance1150", token: str = "fake-ultramsg-token"
) -> Starlette:
    """A fake Ultramsg API with its own empty state.

    Args:
        instance_id: the instance, the first path segment.
        token: the instance token requests must carry.
    """
    return FakeUltramsgState(UltramsgFakeSettings(instance_id=instance_id, token=token)).app
