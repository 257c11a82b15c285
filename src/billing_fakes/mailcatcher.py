"""A local mail catcher for development: an SMTP server (aiosmtpd) that keeps every message it
receives in memory, and a small web page listing them.

``billing dev-providers`` runs it so that ``make run`` sends its e-mails (invoices, reminders,
payment-link notices) somewhere a developer can see them:

* SMTP on ``127.0.0.1:<smtp port>``, no TLS, no authentication (``BILLING_SMTP_URL=
  smtp://127.0.0.1:<port>?starttls=false``);
* ``GET /``: the received mails, newest first (subject, from, to, when, attachments);
* ``GET /messages/{n}``: one mail, its text and HTML parts shown as text;
* ``GET /messages/{n}/attachments/{i}``: an attachment's bytes, with its content type;
* ``GET /messages.json``: the same list as JSON; ``POST /clear``: forget them all.

Usage::

    catcher = MailCatcher()
    run_forever([catcher.smtp(port=8105), FakeServer(catcher.app, port=8106, name="mail")])
"""

from __future__ import annotations

import asyncio
import html
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

__all__ = ["CaughtMail", "MailCatcher", "SmtpServer"]

_MAX_KEPT = 500
"""Mails kept; the oldest go first (a long ``make run`` must not grow without bound)."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment of a caught mail."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class CaughtMail:
    """One received message with what the page shows of it."""

    number: int
    received_at: datetime
    sender: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...]

    @classmethod
    def parse(cls, number: int, sender: str, recipients: list[str], raw: bytes) -> CaughtMail:
        """Read the parts of ``raw`` (the DATA of the SMTP transaction)."""
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        text_part = message.get_body(("plain",))
        html_part = message.get_body(("html",))
        attachments = []
        for part in message.iter_attachments():
            payload = part.get_payload(decode=True)
            attachments.append(
                Attachment(
                    filename=part.get_filename() or "attachment",
                    content_type=part.get_content_type(),
                    content=payload if isinstance(payload, bytes) else b"",
                )
            )
        return cls(
            number=number,
            received_at=datetime.now(UTC),
            sender=str(message.get("From") or sender),
            recipients=tuple(recipients),
            subject=str(message.get("Subject") or ""),
            text=str(text_part.get_content()) if text_part is not None else "",
            html=str(html_part.get_content()) if html_part is not None else "",
            attachments=tuple(attachments),
        )

    def summary(self) -> dict[str, Any]:
        """The JSON view of the list."""
        return {
            "number": self.number,
            "received_at": self.received_at.isoformat(),
            "from": self.sender,
            "to": list(self.recipients),
            "subject": self.subject,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": len(a.content)}
                for a in self.attachments
            ],
        }


class SmtpServer:
    """The catcher's SMTP side on a fixed port, started and stopped like a ``FakeServer``."""

    def __init__(self, catcher: MailCatcher, *, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._catcher = catcher
        self._loop: asyncio.AbstractEventLoop | None = None
        self._controller: Controller | None = None

    def start(self) -> None:
        """Listen (aiosmtpd runs the loop in a thread)."""
        # Our own loop, made here and closed on stop: aiosmtpd leaves one it makes open, and
        # a server built but never started must hold no loop.
        self._loop = asyncio.new_event_loop()
        self._controller = Controller(
            self._catcher, hostname=self.host, port=self.port, loop=self._loop
        )
        self._controller.start()

    def stop(self) -> None:
        """Stop listening and close the loop. Idempotent."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._loop is not None:
            self._loop.close()
            self._loop = None


class MailCatcher:
    """Keeps what its SMTP server receives; :attr:`app` shows it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mails: list[CaughtMail] = []
        self._count = 0
        self.app = Starlette(
            routes=[
                Route("/", self._index, methods=["GET"]),
                Route("/messages.json", self._json, methods=["GET"]),
                Route("/messages/{number:int}", self._one, methods=["GET"]),
                Route(
                    "/messages/{number:int}/attachments/{index:int}",
                    self._attachment,
                    methods=["GET"],
                ),
                Route("/clear", self._clear, methods=["POST"]),
            ]
        )

    def smtp(self, *, host: str = "127.0.0.1", port: int) -> SmtpServer:
        """The SMTP server feeding this catcher."""
        return SmtpServer(self, host=host, port=port)

    @property
    def mails(self) -> list[CaughtMail]:
        """What was received, oldest first."""
        with self._lock:
            return list(self._mails)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd's hook: keep the message and accept it."""
        with self._lock:
            self._count += 1
            number = self._count
        mail = CaughtMail.parse(
            number, str(envelope.mail_from), list(envelope.rcpt_tos), bytes(envelope.content)
        )
        with self._lock:
            self._mails.append(mail)
            del self._mails[:-_MAX_KEPT]
        return "250 OK"

    def _find(self, number: int) -> CaughtMail | None:
        with self._lock:
            return next((mail for mail in self._mails if mail.number == number), None)

    async def _index(self, request: Request) -> Response:
        rows = []
        for mail in reversed(self.mails):
            files = ", ".join(
                f'<a href="/messages/{mail.number}/attachments/{index}">'
                f"{html.escape(a.filename)}</a> ({html.escape(a.content_type)}, "
                f"{len(a.content):,} bytes)"
                for index, a in enumerate(mail.attachments)
            )
            rows.append(
                "<tr>"
                f"<td>{mail.received_at:%Y-%m-%d %H:%M:%S}</td>"
                f'<td><a href="/messages/{mail.number}">{html.escape(mail.subject)}</a></td>'
                f"<td>{html.escape(', '.join(mail.recipients))}</td>"
                f"<td>{html.escape(mail.sender)}</td>"
                f"<td>{files or '-'}</td>"
                "</tr>"
            )
        body = (
            "<table><thead><tr><th>Received (UTC)</th><th>Subject</th><th>To</th><th>From</th>"
            f"<th>Attachments</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            if rows
            else "<p>No mail yet.</p>"
        )
        return HTMLResponse(_page("Mail sent by billing", body))

    async def _one(self, request: Request) -> Response:
        mail = self._find(int(request.path_params["number"]))
        if mail is None:
            return HTMLResponse(_page("Not found", "<p>No such mail.</p>"), status_code=404)
        files = "".join(
            f'<li><a href="/messages/{mail.number}/attachments/{index}">'
            f"{html.escape(a.filename)}</a> ({html.escape(a.content_type)})</li>"
            for index, a in enumerate(mail.attachments)
        )
        body = (
            f"<p>From: {html.escape(mail.sender)}<br>To: "
            f"{html.escape(', '.join(mail.recipients))}</p>"
            f"<ul>{files}</ul><h2>Text</h2><pre>{html.escape(mail.text)}</pre>"
            # Shown as source: a caught mail's HTML is not run inside the page.
            f"<h2>HTML</h2><pre>{html.escape(mail.html)}</pre>"
            '<p><a href="/">All mail</a></p>'
        )
        return HTMLResponse(_page(mail.subject or "(no subject)", body))

    async def _attachment(self, request: Request) -> Response:
        mail = self._find(int(request.path_params["number"]))
        index = int(request.path_params["index"])
        if mail is None or index >= len(mail.attachments):
            return Response(status_code=404)
        attachment = mail.attachments[index]
        # A plain ASCII name keeps the header valid whatever the sender called the file.
        safe = "".join(c if c.isascii() and c not in '"\\' else "_" for c in attachment.filename)
        return Response(
            attachment.content,
            media_type=attachment.content_type,
            headers={"Content-Disposition": f'inline; filename="{safe}"'},
        )

    async def _json(self, request: Request) -> Response:
        return JSONResponse([mail.summary() for mail in reversed(self.mails)])

    async def _clear(self, request: Request) -> Response:
        with self._lock:
            self._mails.clear()
        return JSONResponse({"cleared": True})


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}"
        "pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
