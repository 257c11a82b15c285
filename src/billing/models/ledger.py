"""Payment attempts, refunds, wallet entries, cash and cash-on-delivery records."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from billing.models.base import Base, TenantScopedMixin, TimestampMixin
from billing.models.invoice import MONEY
from billing.models.states import (
    CashStatus,
    CodStatus,
    Method,
    RefundStatus,
    TransactionStatus,
    WalletEntryKind,
)
from billing.models.types import EnumText


class PaymentTransaction(TenantScopedMixin, TimestampMixin, Base):
    """One attempt to collect money (a "transaction"): manual, provider or cash on delivery.

    Its ``status`` moves pending -> processing -> succeeded | failed | cancelled | expired, and
    succeeded -> refunded; a succeeded attempt points at the ``payments`` row it produced.
    """

    __tablename__ = "payment_transactions"
    __table_args__ = (
        Index("ix_payment_transactions_reference", "reference", unique=True),
        Index("ix_payment_transactions_id", "id", unique=True),
        Index("ix_payment_transactions_created_at_id", "created_at", "id"),
        Index("ix_payment_transactions_tenant_id_invoice_id", "tenant_id", "invoice_id"),
        Index("ix_payment_transactions_status_created_at", "status", "created_at"),
        Index(
            "ix_payment_transactions_provider_provider_ref",
            "provider",
            "provider_ref",
            unique=True,
        ),
    )

    reference: Mapped[str] = mapped_column(String(64))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column()
    method: Mapped[Method] = mapped_column(EnumText(Method, 30))
    provider: Mapped[str | None] = mapped_column(String(30))
    provider_ref: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[TransactionStatus] = mapped_column(EnumText(TransactionStatus, 20))
    failure_code: Mapped[str | None] = mapped_column(String(100))
    failure_message: Mapped[str | None] = mapped_column(String(500))
    gateway_data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    payment_id: Mapped[uuid.UUID | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(200))


class Refund(TenantScopedMixin, Base):
    """Money given back on a payment."""

    __tablename__ = "refunds"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "payment_id"], ["payments.tenant_id", "payments.id"]),
        Index("ix_refunds_tenant_id_payment_id", "tenant_id", "payment_id"),
    )

    payment_id: Mapped[uuid.UUID] = mapped_column()
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[RefundStatus] = mapped_column(EnumText(RefundStatus, 20))
    reason: Mapped[str | None] = mapped_column(String(500))
    provider_ref: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    credit_note_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WalletEntry(TenantScopedMixin, Base):
    """A credit (positive) or debit (negative) of a tenant's wallet in one currency."""

    __tablename__ = "wallet_entries"
    __table_args__ = (Index("ix_wallet_entries_tenant_id_currency", "tenant_id", "currency"),)

    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    kind: Mapped[WalletEntryKind] = mapped_column(EnumText(WalletEntryKind, 30))
    payment_id: Mapped[uuid.UUID | None] = mapped_column()
    invoice_id: Mapped[uuid.UUID | None] = mapped_column()
    refund_id: Mapped[uuid.UUID | None] = mapped_column()
    credit_note_id: Mapped[uuid.UUID | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CashTransaction(TenantScopedMixin, TimestampMixin, Base):
    """Cash handed over at the counter: what was due, given and returned as change."""

    __tablename__ = "cash_transactions"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "invoice_id"], ["invoices.tenant_id", "invoices.id"]),
        Index("ix_cash_transactions_tenant_id_invoice_id", "tenant_id", "invoice_id"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column()
    payment_id: Mapped[uuid.UUID | None] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    amount_due: Mapped[Decimal] = mapped_column(MONEY)
    amount_given: Mapped[Decimal] = mapped_column(MONEY)
    change_amount: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[CashStatus] = mapped_column(EnumText(CashStatus, 20))
    processed_by: Mapped[str | None] = mapped_column(String(200))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CodPayment(TenantScopedMixin, TimestampMixin, Base):
    """Cash on delivery: a one-time code (stored as a keyed hash) settles it at the door."""

    __tablename__ = "cod_payments"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "invoice_id"], ["invoices.tenant_id", "invoices.id"]),
        Index("ix_cod_payments_tenant_id_invoice_id", "tenant_id", "invoice_id"),
        Index("ix_cod_payments_id", "id", unique=True),
        # At most one delivery under way per invoice (the service answers 409 first).
        Index(
            "uq_cod_payments_open_per_invoice",
            "tenant_id",
            "invoice_id",
            unique=True,
            postgresql_where=text("status IN ('pending', 'collected')"),
        ),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column()
    transaction_id: Mapped[uuid.UUID] = mapped_column()
    code_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[CodStatus] = mapped_column(EnumText(CodStatus, 20))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    collector: Mapped[str | None] = mapped_column(String(200))
    delivery_agent_id: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    collected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified_by: Mapped[str | None] = mapped_column(String(200))
