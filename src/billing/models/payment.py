"""The payments ledger: append-only rows for money received and where it went."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKeyConstraint, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from billing.models.base import Base, TenantScopedMixin
from billing.models.invoice import MONEY
from billing.models.states import Method
from billing.models.types import EnumText


class Payment(TenantScopedMixin, Base):
    """Money received from a tenant (never updated; refunds and corrections are new rows)."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_reference", "reference", unique=True),
        Index("ix_payments_id", "id", unique=True),
    )

    reference: Mapped[str] = mapped_column(String(64))
    method: Mapped[Method] = mapped_column(EnumText(Method, 30))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    external_reference: Mapped[str | None] = mapped_column(String(200))
    paid_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    transaction_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PaymentAllocation(TenantScopedMixin, Base):
    """Part of a payment applied to one invoice; negative amounts take it back (a refund, or a
    credit note moving it to the wallet)."""

    __tablename__ = "payment_allocations"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "payment_id"], ["payments.tenant_id", "payments.id"]),
        ForeignKeyConstraint(["tenant_id", "invoice_id"], ["invoices.tenant_id", "invoices.id"]),
        Index("ix_payment_allocations_tenant_id_invoice_id", "tenant_id", "invoice_id"),
        Index("ix_payment_allocations_tenant_id_payment_id", "tenant_id", "payment_id"),
    )

    payment_id: Mapped[uuid.UUID] = mapped_column()
    invoice_id: Mapped[uuid.UUID] = mapped_column()
    amount: Mapped[Decimal] = mapped_column(MONEY)
    refund_id: Mapped[uuid.UUID | None] = mapped_column()
    credit_note_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
