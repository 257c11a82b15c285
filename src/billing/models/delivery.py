"""The delivery outbox: messages (e-mail, WhatsApp, webhooks) written in the transaction of the
change that caused them and sent by a job after commit; their attempts; the events the
operator's webhook endpoints receive; sent reminders."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from billing.models.base import Base, TenantScopedMixin, TimestampMixin
from billing.models.states import (
    AttemptOutcome,
    DeliveryChannel,
    DeliveryKind,
    DeliveryStatus,
    EventType,
)
from billing.models.types import EnumText


class WebhookEndpoint(TimestampMixin, Base):
    """Where the operator's SaaS hears about events: a URL, the event types it wants (empty:
    all), its signing secret (encrypted) and, during a rotation's grace period, the previous
    one. Operator-wide configuration (no ``tenant_id``, no row-level security)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(500))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    previous_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def wants(self, event_type: str) -> bool:
        """True when the endpoint subscribed to ``event_type`` (or to everything)."""
        return not self.event_types or event_type in self.event_types


class ObjectSequence(Base):
    """The last event sequence number of one object (an invoice, a payment): events about one
    object are numbered 1, 2, 3... so a receiver can order them. Incremented by an upsert, so
    concurrent events of one object wait for each other and never share a number."""

    __tablename__ = "object_sequences"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True
    )
    object_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger)


class OutboundEvent(TenantScopedMixin, Base):
    """Something that happened, with the API representation of the object at that moment.
    Written once (append-only); each subscribed endpoint gets a delivery of it."""

    __tablename__ = "outbound_events"
    __table_args__ = (
        Index(
            "ix_outbound_events_tenant_id_object_id_sequence",
            "tenant_id",
            "object_id",
            "sequence",
            unique=True,
        ),
    )

    type: Mapped[EventType] = mapped_column(EnumText(EventType, 60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[uuid.UUID] = mapped_column()
    sequence: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Delivery(TenantScopedMixin, TimestampMixin, Base):
    """One message to send: its channel, what it is about, where it goes, and where it stands.

    ``details`` holds what the job needs to build it (language, reminder step, the invoices
    of a combined PDF, the attachments wanted); the message itself is built when sent.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "invoice_id"], ["invoices.tenant_id", "invoices.id"], ondelete="RESTRICT"
        ),
        ForeignKeyConstraint(
            ["tenant_id", "event_id"],
            ["outbound_events.tenant_id", "outbound_events.id"],
            ondelete="RESTRICT",
        ),
        Index("ix_deliveries_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        Index("ix_deliveries_tenant_id_invoice_id", "tenant_id", "invoice_id"),
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_deliveries_endpoint_id", "endpoint_id"),
    )

    channel: Mapped[DeliveryChannel] = mapped_column(EnumText(DeliveryChannel, 20))
    kind: Mapped[DeliveryKind] = mapped_column(EnumText(DeliveryKind, 20))
    status: Mapped[DeliveryStatus] = mapped_column(EnumText(DeliveryStatus, 20))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column()
    event_id: Mapped[uuid.UUID | None] = mapped_column()
    event_type: Mapped[str | None] = mapped_column(String(60))
    endpoint_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="SET NULL")
    )
    recipients: Mapped[list[str]] = mapped_column(JSONB, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_response_code: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(200))


class DeliveryAttempt(TenantScopedMixin, Base):
    """One try at sending a delivery: never changed once written."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "delivery_id"],
            ["deliveries.tenant_id", "deliveries.id"],
            ondelete="RESTRICT",
        ),
        Index(
            "ix_delivery_attempts_tenant_id_delivery_id_number",
            "tenant_id",
            "delivery_id",
            "number",
            unique=True,
        ),
    )

    delivery_id: Mapped[uuid.UUID] = mapped_column()
    number: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[AttemptOutcome] = mapped_column(EnumText(AttemptOutcome, 20))
    response_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InvoiceNotice(TenantScopedMixin, Base):
    """A reminder step (or the overdue notice) that was sent for an invoice: unique per
    invoice and step, so several workers running the reminder job send each one once."""

    __tablename__ = "invoice_notices"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "invoice_id"], ["invoices.tenant_id", "invoices.id"], ondelete="RESTRICT"
        ),
        Index(
            "ix_invoice_notices_tenant_id_invoice_id_step",
            "tenant_id",
            "invoice_id",
            "step",
            unique=True,
        ),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column()
    step: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
