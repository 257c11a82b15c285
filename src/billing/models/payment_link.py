"""Payment accounts (where money is deposited) and payment links (seed 004 invoices)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from billing.models.base import Base, TenantScopedMixin, TimestampMixin


class PaymentAccount(TimestampMixin, Base):
    """An operator account money is deposited to; its currency is the currency of every
    invoice created on it, and it names the methods a payer may use.

    Operator-wide configuration like the catalog (no ``tenant_id``, no row-level security).
    """

    __tablename__ = "payment_accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    identifier: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    accepted_methods: Mapped[list[str]] = mapped_column(ARRAY(String(30)))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PaymentLink(TenantScopedMixin, Base):
    """The seed 004 side of an invoice: the merchant's transaction id, the account, the expiry
    and the customer to notify. One per invoice; written once, never changed.

    ``merchant`` is whose transaction ids these are: ``operator`` or ``tenant:<id>`` (the API
    key's tenant); ``(merchant, transaction_id)`` is unique, which the database enforces also
    between concurrent requests.
    """

    __tablename__ = "payment_links"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "invoice_id"], ["invoices.tenant_id", "invoices.id"]),
        Index(
            "ix_payment_links_merchant_transaction_id", "merchant", "transaction_id", unique=True
        ),
        Index("ix_payment_links_tenant_id_invoice_id", "tenant_id", "invoice_id", unique=True),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column()
    merchant: Mapped[str] = mapped_column(String(64))
    transaction_id: Mapped[str] = mapped_column(String(100))
    payment_account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payment_accounts.id", ondelete="RESTRICT"), index=True
    )
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    description: Mapped[str | None] = mapped_column(Text)
    customer: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
