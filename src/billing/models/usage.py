"""Usage metering: the operator's billable metrics and the usage events tenants report.

Events are append-only (the API role may insert and read them, never change or delete them)
and unique per tenant by ``transaction_id``: a repeat is acknowledged and not counted twice.
``effective_at`` is when an event counts (``billing.metering.timing``): its own timestamp
when it arrived within the grace period, its arrival otherwise. Every aggregation filters on
``(tenant_id, metric_id, effective_at)``, the index that serves it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from billing.models.base import Base, TimestampMixin
from billing.models.types import EnumText


class Aggregation(StrEnum):
    """How a metric turns the events of a period into one quantity."""

    COUNT = "count"  # the number of events
    SUM = "sum"  # the sum of a numeric property
    MAX = "max"  # the largest value of a numeric property
    UNIQUE_COUNT = "unique_count"  # the number of distinct values of a property
    LATEST = "latest"  # the numeric property of the event with the latest timestamp


NUMERIC_AGGREGATIONS = frozenset({Aggregation.SUM, Aggregation.MAX, Aggregation.LATEST})
"""Aggregations that read their property as a number (validated when an event arrives)."""


class UsageModel(StrEnum):
    """How a metered price turns a quantity into an amount (the models Lago and Stripe offer)."""

    PER_UNIT = "per_unit"  # quantity x unit amount
    PACKAGE = "package"  # started packages of package_size x unit amount
    GRADUATED = "graduated"  # each tier prices the units that fall in it
    VOLUME = "volume"  # the tier the whole quantity reaches prices every unit


class BillableMetric(TimestampMixin, Base):
    """What usage is counted and how (operator-wide, like the catalog)."""

    __tablename__ = "billable_metrics"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    aggregation: Mapped[Aggregation] = mapped_column(EnumText(Aggregation, 20))
    property: Mapped[str | None] = mapped_column(String(100))
    filters: Mapped[dict[str, list[str]]] = mapped_column(JSONB, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class UsageEvent(Base):
    """One reported usage event of a tenant (never changed, never deleted)."""

    __tablename__ = "usage_events"
    __table_args__ = (
        Index(
            "ix_usage_events_tenant_id_metric_id_effective_at",
            "tenant_id",
            "metric_id",
            "effective_at",
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True
    )
    transaction_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    metric_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("billable_metrics.id", ondelete="RESTRICT")
    )
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    effective_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB)
