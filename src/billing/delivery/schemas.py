"""Request and response bodies of the delivery routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StrictBool, StrictInt

from billing.billing_profiles.schemas import PhoneNumber
from billing.core.schemas import EmailAddress, ReadSchema, WriteSchema
from billing.delivery.urls import url_problem
from billing.models.states import (
    AttemptOutcome,
    DeliveryChannel,
    DeliveryKind,
    DeliveryStatus,
    EventType,
)


class DeliveryAttemptRead(ReadSchema):
    """One attempt at a delivery."""

    number: int
    outcome: AttemptOutcome
    response_code: int | None
    error: str | None
    duration_ms: int
    attempted_at: datetime


class DeliveryRead(ReadSchema):
    """A message in the outbox, where it stands, and every attempt so far."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    channel: DeliveryChannel
    kind: DeliveryKind
    status: DeliveryStatus
    invoice_id: uuid.UUID | None
    event_id: uuid.UUID | None
    event_type: str | None
    endpoint_id: uuid.UUID | None
    recipients: list[str]
    attempt_count: int
    next_attempt_at: datetime | None
    expires_at: datetime
    delivered_at: datetime | None
    last_error: str | None
    last_response_code: int | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    attempts: list[DeliveryAttemptRead] = Field(default_factory=list)


class InvoiceSendRequest(WriteSchema):
    """Staff may name the recipients; without them the billing contact receives it."""

    recipients: list[EmailAddress] | None = Field(default=None, min_length=1, max_length=10)


class WhatsAppSendRequest(WriteSchema):
    """The phone to send to; without it the billing profile's phone."""

    phone: PhoneNumber | None = None


class InvoiceSent(ReadSchema):
    """What a send queued: the invoice's status now, and the delivery (sent after commit)."""

    invoice_id: uuid.UUID
    status: str
    delivery: DeliveryRead


class CombinedSent(ReadSchema):
    """The combined message queued for a tenant's pending invoices."""

    tenant_id: uuid.UUID
    invoice_ids: list[uuid.UUID]
    delivery: DeliveryRead


def _https_or_http(value: str) -> str:
    problem = url_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


# The pattern documents the scheme; the validator checks the rest as the delivery's HTTP client
# will read the URL. White space before the scheme is stripped first: the characters listed are
# what Python strips less the control characters every string refuses, spelt out because a
# client's \s (ECMA-262) is not Python's.
WEBHOOK_URL_PATTERN = (
    r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*"
    r"https?://[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
)
WebhookUrl = Annotated[
    str,
    Field(min_length=11, max_length=2000, json_schema_extra={"pattern": WEBHOOK_URL_PATTERN}),
    AfterValidator(_https_or_http),
]


def _unique(values: list[EventType]) -> list[EventType]:
    return list(dict.fromkeys(values))


EventTypes = Annotated[list[EventType], Field(max_length=50), AfterValidator(_unique)]


class WebhookEndpointCreate(WriteSchema):
    """A new endpoint; ``event_types`` empty (the default) means every event."""

    url: WebhookUrl
    description: str | None = Field(default=None, max_length=500)
    event_types: EventTypes = Field(default_factory=list)
    enabled: StrictBool = True


class WebhookEndpointUpdate(WriteSchema):
    """A partial update; fields left out keep their values."""

    url: WebhookUrl | None = None
    description: str | None = Field(default=None, max_length=500)
    event_types: EventTypes | None = None
    enabled: StrictBool | None = None


class SecretRotation(WriteSchema):
    """How long the previous secret keeps signing beside the new one."""

    grace_period_hours: StrictInt = Field(default=24, ge=0, le=168)


class WebhookEndpointRead(ReadSchema):
    """An endpoint (never its secret)."""

    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookEndpointSecret(WebhookEndpointRead):
    """An endpoint with its signing secret: shown once, when created or rotated."""

    secret: str
