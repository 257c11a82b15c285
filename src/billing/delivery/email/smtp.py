"""Sending over SMTP with aiosmtplib, configured by one URL (``BILLING_SMTP_URL``).

``smtp://user:password@host:587`` upgrades with STARTTLS when the server offers it (and
``?starttls=true`` insists on it); ``smtps://...:465`` speaks TLS from the first byte; a local
catcher is ``smtp://127.0.0.1:1025``. Temporary refusals (4xx) and network errors are retried
by the outbox; permanent ones (5xx) fail the delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from billing.delivery.transport import AttemptResult

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class InvalidSmtpUrl(ValueError):
    """``BILLING_SMTP_URL`` is not an smtp:// or smtps:// URL."""


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to send."""

    hostname: str
    port: int
    use_tls: bool
    start_tls: bool | None
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_smtp_url(url: str) -> SmtpServer:
    """The server an ``smtp://`` or ``smtps://`` URL names."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise InvalidSmtpUrl("BILLING_SMTP_URL must look like smtp://user:password@host:587")
    secure = parts.scheme == "smtps"
    starttls = parse_qs(parts.query).get("starttls", [""])[0].lower()
    start_tls: bool | None = None
    if starttls in _TRUE:
        start_tls = True
    elif starttls in _FALSE:
        start_tls = False
    return SmtpServer(
        hostname=parts.hostname,
        port=parts.port or (465 if secure else 587),
        use_tls=secure,
        start_tls=False if secure else start_tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


async def send_mail(
    server: SmtpServer, message: EmailMessage, *, timeout_seconds: float
) -> AttemptResult:
    """Hand ``message`` to the server; its answer decides whether to retry."""
    try:
        _, response = await aiosmtplib.send(
            message,
            hostname=server.hostname,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.use_tls,
            start_tls=server.start_tls,
            timeout=timeout_seconds,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [refusal.code for refusal in exc.recipients]
        code = codes[0] if codes else None
        return AttemptResult.failed(
            "The mail server refused the recipients.",
            response_code=code,
            permanent=all(value >= 500 for value in codes),
        )
    except aiosmtplib.SMTPResponseException as exc:
        return AttemptResult.failed(
            f"The mail server answered {exc.code}: {exc.message}"[:300],
            response_code=exc.code,
            permanent=exc.code >= 500,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        return AttemptResult.failed(f"{type(exc).__name__}: {exc}"[:300])
    del response
    return AttemptResult(ok=True, response_code=250)
