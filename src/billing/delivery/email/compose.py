"""Composing a MIME message: a text and an HTML part from one Jinja2 template pair, the
operator's branding, and attachments."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from billing.delivery.email.texts import DEFAULT_LANGUAGE, LANGUAGES, texts_for
from billing.settings.schemas import OperatorSettings

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a message."""

    filename: str
    media_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Branding:
    """How the operator appears in its e-mails (from the settings)."""

    operator: str
    brand_color: str
    logo_url: str | None
    footer: str | None

    @classmethod
    def of(cls, settings: OperatorSettings) -> Branding:
        """The branding the settings describe."""
        seller = settings.seller
        operator = seller.trading_name or seller.legal_name or "Billing"
        address = ", ".join(
            part
            for part in (seller.address_line1, seller.postal_code, seller.city, seller.email)
            if part
        )
        return cls(
            operator=operator,
            brand_color=settings.notifications.brand_color,
            logo_url=seller.logo_url,
            footer=f"{seller.legal_name or operator}, {address}" if address else None,
        )


@dataclass(frozen=True, slots=True)
class MailContent:
    """What one message says, keys into the language's texts plus their values."""

    subject_key: str
    body_key: str
    values: dict[str, str]
    recipient_name: str
    amount_due: str | None = None
    due_date: str | None = None
    link: str | None = None
    reminder: bool = False


def language_of(requested: str | None) -> str:
    """A language the templates speak (English otherwise)."""
    language = (requested or DEFAULT_LANGUAGE).lower()
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def compose(
    *,
    sender: str,
    recipients: list[str],
    language: str,
    branding: Branding,
    content: MailContent,
    attachments: list[Attachment],
) -> EmailMessage:
    """The message, with a text part, an HTML alternative and the attachments."""
    texts = texts_for(language)
    values = {"operator": branding.operator, **content.values}
    # A header holds one line: invoice numbers and seller names may carry line breaks (free
    # text keeps them), and one in the subject made composing fail on every attempt.
    subject = " ".join(texts[content.subject_key].format(**values).split())
    context = {
        "language": language,
        "subject": subject,
        "t": texts,
        "operator": branding.operator,
        "brand_color": branding.brand_color,
        "logo_url": branding.logo_url,
        "footer": branding.footer,
        "greeting": texts["greeting"].format(name=content.recipient_name),
        "body": texts[content.body_key].format(**values),
        "amount_due": content.amount_due,
        "due_date": content.due_date,
        "link": content.link,
        "reminder": content.reminder,
        "attachments": [attachment.filename for attachment in attachments],
    }
    environment = _environment()
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Content-Language"] = language
    message.set_content(environment.get_template("message.txt").render(context))
    message.add_alternative(
        environment.get_template("message.html").render(context), subtype="html"
    )
    for attachment in attachments:
        maintype, _, subtype = attachment.media_type.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype.split(";")[0] or "octet-stream",
            filename=attachment.filename,
        )
    return message
