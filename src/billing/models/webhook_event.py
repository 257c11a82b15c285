"""The inbox of provider deliveries (callbacks, IPNs, webhooks): each stored once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from billing.models.base import Base
from billing.models.types import EnumText
from billing.providers.base import CallbackKind


class WebhookEvent(Base):
    """One delivery, unique per provider and dedupe key; ``outcome`` says what it changed.

    Operator-level (no tenant column): a delivery is matched to a tenant's payment attempt only
    after it has been verified or fetched back.
    """

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "dedupe_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    provider: Mapped[str] = mapped_column(String(30))
    dedupe_key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[CallbackKind] = mapped_column(EnumText(CallbackKind, 50))
    provider_ref: Mapped[str | None] = mapped_column(String(200), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    outcome: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
