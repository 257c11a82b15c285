"""Subscriptions: items, the schedule of what each billing period covers, what was billed for
it, and the invoices the subscription produced (with their collection state)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from billing.models.base import Base, TenantScopedMixin, TimestampMixin
from billing.models.catalog import BillingTiming, PriceInterval
from billing.models.invoice import MONEY, QUANTITY
from billing.models.types import EnumText


class SubscriptionStatus(StrEnum):
    """Lifecycle of a subscription."""

    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    PAUSED = "paused"
    CANCELLED = "cancelled"


RENEWING_STATUSES = (
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
)
"""Statuses the billing cycle advances at the end of each period."""


class CollectionMethod(StrEnum):
    """How the money of a subscription's invoices is collected."""

    CHARGE_AUTOMATICALLY = "charge_automatically"  # the tenant's default saved method
    SEND_INVOICE = "send_invoice"  # the tenant pays within ``days_until_due``


class ChargeKind(StrEnum):
    """Why an amount was billed for a period of a subscription item."""

    RENEWAL = "renewal"  # the period itself (in advance at its start, in arrears at its end)
    PRORATION_CREDIT = "proration_credit"  # unused days of what was billed before a change
    PRORATION_CHARGE = "proration_charge"  # remaining days after a change, resume or start


class ChargeState(StrEnum):
    """Where a charge went."""

    PENDING = "pending"  # waits for the subscription's next invoice
    INVOICED = "invoiced"  # a line of ``invoice_id``
    CREDITED = "credited"  # credited to the tenant's wallet (gross of VAT)


class SubscriptionInvoiceKind(StrEnum):
    """Why a subscription produced an invoice."""

    RENEWAL = "renewal"  # exactly one per subscription and period
    PRORATION = "proration"  # a change, resume or pause invoiced at once
    FINAL = "final"  # pending charges settled when the subscription ends


class CollectionState(StrEnum):
    """Collection of one subscription invoice."""

    NOT_REQUIRED = "not_required"  # nothing due (zero, or paid from the wallet)
    AWAITING_PAYMENT = "awaiting_payment"  # send_invoice: the tenant pays
    SCHEDULED = "scheduled"  # a charge of the saved method is due at ``next_attempt_at``
    PROCESSING = "processing"  # a charge is open at the provider (SEPA); settlement decides
    PAID = "paid"
    EXHAUSTED = "exhausted"  # every retry failed; the final dunning action was applied
    CANCELLED = "cancelled"  # the invoice was cancelled


class Subscription(TenantScopedMixin, TimestampMixin, Base):
    """A tenant's subscription to one or more recurring prices of one currency and cadence.

    Billing periods are ``[current_period_start, current_period_end)`` in the operator's time
    zone; every boundary is derived from ``billing_anchor`` (the anchor day clamped to short
    months, never accumulated), so Jan 31 -> Feb 28/29 -> Mar 31.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("billing_anchor_day BETWEEN 1 AND 31", name="anchor_day_range"),
        CheckConstraint("current_period_end > current_period_start", name="period_not_empty"),
        Index("ix_subscriptions_status_current_period_end", "status", "current_period_end"),
        Index("ix_subscriptions_tenant_id_status", "tenant_id", "status"),
    )

    status: Mapped[SubscriptionStatus] = mapped_column(EnumText(SubscriptionStatus, 20))
    currency: Mapped[str] = mapped_column(String(3))
    interval: Mapped[PriceInterval] = mapped_column(EnumText(PriceInterval, 10))
    interval_count: Mapped[int] = mapped_column(Integer)
    billing_timing: Mapped[BillingTiming] = mapped_column(EnumText(BillingTiming, 20))
    collection_method: Mapped[CollectionMethod] = mapped_column(EnumText(CollectionMethod, 30))
    days_until_due: Mapped[int | None] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)
    billing_anchor_day: Mapped[int] = mapped_column(Integer)
    billing_anchor: Mapped[date] = mapped_column(Date)
    trial_end: Mapped[date | None] = mapped_column(Date)
    current_period_start: Mapped[date] = mapped_column(Date)
    current_period_end: Mapped[date] = mapped_column(Date)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[date | None] = mapped_column(Date)
    cancellation_reason: Mapped[str | None] = mapped_column(String(100))
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))
    # Usage counted before this instant is billed (``billing.subscriptions.usage``); empty
    # until the first invoice with usage, which starts from the end of the trial or the start.
    usage_billed_through: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    items: Mapped[list[SubscriptionItem]] = relationship(
        lazy="raise",
        order_by="SubscriptionItem.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class SubscriptionItem(TenantScopedMixin, TimestampMixin, Base):
    """A price and a quantity on a subscription (its current configuration)."""

    __tablename__ = "subscription_items"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "subscription_id"],
            ["subscriptions.tenant_id", "subscriptions.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_subscription_items_tenant_id_subscription_id", "tenant_id", "subscription_id"),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column()
    price_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("prices.id", ondelete="RESTRICT"), index=True
    )
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    position: Mapped[int] = mapped_column(Integer)


class SubscriptionSegment(TenantScopedMixin, TimestampMixin, Base):
    """Days of one billing period during which one item ran with one price and quantity.

    The amount a period should cost is the day-weighted sum of its segments
    (``billing.subscriptions.proration``); a change ends a segment and starts another.
    """

    __tablename__ = "subscription_segments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "subscription_id"],
            ["subscriptions.tenant_id", "subscriptions.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("end_date >= start_date", name="days_not_negative"),
        Index(
            "ix_subscription_segments_tenant_id_subscription_id_period_start",
            "tenant_id",
            "subscription_id",
            "period_start",
        ),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column()
    item_id: Mapped[uuid.UUID] = mapped_column()
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    price_id: Mapped[uuid.UUID] = mapped_column()
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)


class SubscriptionCharge(TenantScopedMixin, TimestampMixin, Base):
    """An amount (net of VAT) billed for one item and one period: a renewal, or the credit and
    charge of a change. The sum per item and period is what that period has cost so far."""

    __tablename__ = "subscription_charges"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "subscription_id"],
            ["subscriptions.tenant_id", "subscriptions.id"],
            ondelete="RESTRICT",
        ),
        Index(
            "ix_subscription_charges_tenant_id_subscription_id_state",
            "tenant_id",
            "subscription_id",
            "state",
        ),
        Index(
            "ix_subscription_charges_tenant_id_subscription_id_period_start",
            "tenant_id",
            "subscription_id",
            "period_start",
        ),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column()
    item_id: Mapped[uuid.UUID] = mapped_column()
    price_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[ChargeKind] = mapped_column(EnumText(ChargeKind, 30))
    state: Mapped[ChargeState] = mapped_column(EnumText(ChargeState, 20))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    service_start: Mapped[date] = mapped_column(Date)
    service_end: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit_price: Mapped[Decimal] = mapped_column(QUANTITY)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column()
    wallet_entry_id: Mapped[uuid.UUID | None] = mapped_column()


class SubscriptionInvoice(TenantScopedMixin, TimestampMixin, Base):
    """An invoice a subscription produced, and how its money is being collected.

    The partial unique index on (tenant, subscription, period_start) for renewals is what makes
    a renewal invoice exist exactly once per period, whatever runs the billing cycle.
    """

    __tablename__ = "subscription_invoices"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "subscription_id"],
            ["subscriptions.tenant_id", "subscriptions.id"],
            ondelete="RESTRICT",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "invoice_id"], ["invoices.tenant_id", "invoices.id"], ondelete="RESTRICT"
        ),
        Index(
            "uq_subscription_invoices_renewal_period",
            "tenant_id",
            "subscription_id",
            "period_start",
            unique=True,
            postgresql_where=text("kind = 'renewal'"),
        ),
        Index(
            "ix_subscription_invoices_collection_state_next_attempt_at",
            "collection_state",
            "next_attempt_at",
        ),
        Index("ix_subscription_invoices_tenant_id_invoice_id", "tenant_id", "invoice_id"),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column()
    invoice_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[SubscriptionInvoiceKind] = mapped_column(EnumText(SubscriptionInvoiceKind, 20))
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    collection_state: Mapped[CollectionState] = mapped_column(EnumText(CollectionState, 20))
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_attempt_id: Mapped[uuid.UUID | None] = mapped_column()
    last_failure_code: Mapped[str | None] = mapped_column(String(100))
    last_failure_message: Mapped[str | None] = mapped_column(String(500))
