"""The operator's catalog: tax rates, products and their recurring prices (shared by every
tenant)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from billing.core.totals import VatCategory
from billing.models.base import Base, TimestampMixin
from billing.models.types import EnumText
from billing.models.usage import UsageModel


class PriceInterval(StrEnum):
    """The unit of a recurring price's period."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class BillingScheme(StrEnum):
    """How a price turns a quantity into an amount."""

    FLAT = "flat"  # the amount per period, whatever the quantity (quantity is 1)
    PER_UNIT = "per_unit"  # amount x quantity (seats)


class BillingTiming(StrEnum):
    """When a period is billed."""

    IN_ADVANCE = "in_advance"  # at the start of the period it pays for
    IN_ARREARS = "in_arrears"  # at its end


class TaxRate(TimestampMixin, Base):
    """A VAT rate with its EN 16931 category and, where required, exemption reason."""

    __tablename__ = "tax_rates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    rate: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    category: Mapped[VatCategory] = mapped_column(EnumText(VatCategory, 2))
    exemption_reason_code: Mapped[str | None] = mapped_column(String(40))
    exemption_reason: Mapped[str | None] = mapped_column(String(500))
    country_code: Mapped[str | None] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Product(TimestampMixin, Base):
    """A sellable item with its default price, tax rate and unit."""

    __tablename__ = "products"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    currency: Mapped[str] = mapped_column(String(3))
    tax_rate_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tax_rates.id", ondelete="RESTRICT"), index=True
    )
    unit_code: Mapped[str] = mapped_column(String(3), default="C62")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Price(TimestampMixin, Base):
    """A recurring price of a product: what one period of a subscription item costs.

    Immutable once a subscription used it (``used_at`` set): what was sold stays what is
    billed. A new price replaces it for new subscriptions (``replaces_price_id``), and a
    trigger refuses any change of its terms after first use.
    """

    __tablename__ = "prices"
    __table_args__ = (
        CheckConstraint("unit_amount >= 0", name="unit_amount_not_negative"),
        CheckConstraint("interval_count >= 1", name="interval_count_positive"),
        CheckConstraint("trial_days >= 0", name="trial_days_not_negative"),
        CheckConstraint(
            "(billable_metric_id IS NULL) = (usage_model IS NULL)", name="metered_has_model"
        ),
        CheckConstraint("package_size IS NULL OR package_size > 0", name="package_size_positive"),
        Index("ix_prices_product_id_active", "product_id", "active"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    nickname: Mapped[str | None] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    unit_amount: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    billing_scheme: Mapped[BillingScheme] = mapped_column(EnumText(BillingScheme, 20))
    interval: Mapped[PriceInterval] = mapped_column(EnumText(PriceInterval, 10))
    interval_count: Mapped[int] = mapped_column(Integer)
    billing_timing: Mapped[BillingTiming] = mapped_column(EnumText(BillingTiming, 20))
    trial_days: Mapped[int] = mapped_column(Integer, default=0)
    tax_rate_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tax_rates.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    replaces_price_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("prices.id", ondelete="RESTRICT"), index=True
    )
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Metered prices (``billing.metering.pricing``): the metric whose usage the price bills in
    # arrears, and how; ``unit_amount`` is then the price of a unit (per_unit) or a package.
    billable_metric_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("billable_metrics.id", ondelete="RESTRICT"), index=True
    )
    usage_model: Mapped[UsageModel | None] = mapped_column(EnumText(UsageModel, 20))
    package_size: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    tiers: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)

    @property
    def metered(self) -> bool:
        """True for a price of usage (billed in arrears from a metric's events)."""
        return self.billable_metric_id is not None
