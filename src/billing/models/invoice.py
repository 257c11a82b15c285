"""Invoices, their lines, and the gap-free number counters."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from billing.core.totals import VatCategory
from billing.models.base import Base, TenantScopedMixin, TimestampMixin
from billing.models.states import InvoiceStatus
from billing.models.types import EnumText

if TYPE_CHECKING:
    from billing.models.credit_note import CreditNote
    from billing.models.ledger import CashTransaction

MONEY = Numeric(20, 4)
QUANTITY = Numeric(20, 6)


class Invoice(TenantScopedMixin, TimestampMixin, Base):
    """An invoice. Totals are written by the totals engine; ``amount_paid`` by the ledger;
    ``amount_credited`` is the sum of its credit notes' totals. What is still due is
    ``total_amount - amount_credited - amount_paid``."""

    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_tenant_id_status_due_date", "tenant_id", "status", "due_date"),
        # The default list order (newest issue date, then id) of a tenant and of staff.
        Index("ix_invoices_tenant_id_issue_date_id", "tenant_id", "issue_date", "id"),
        Index("ix_invoices_issue_date_id", "issue_date", "id"),
        Index("ix_invoices_id", "id", unique=True),
        # The commission report: one reseller's invoices by issue date.
        Index(
            "ix_invoices_reseller_id_issue_date",
            "reseller_id",
            "issue_date",
            postgresql_where=text("reseller_id IS NOT NULL"),
        ),
    )

    invoice_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[InvoiceStatus] = mapped_column(EnumText(InvoiceStatus, 20))
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    subtotal: Mapped[Decimal] = mapped_column(MONEY)
    discount_amount: Mapped[Decimal] = mapped_column(MONEY)
    tax_amount: Mapped[Decimal] = mapped_column(MONEY)
    total_amount: Mapped[Decimal] = mapped_column(MONEY)
    amount_paid: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    amount_refunded: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    amount_credited: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    payment_method: Mapped[str | None] = mapped_column(String(30))
    payment_reference: Mapped[str | None] = mapped_column(String(200))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notes: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    payment_terms: Mapped[str | None] = mapped_column(String(500))
    destination_country: Mapped[str | None] = mapped_column(String(2))
    buyer_reference: Mapped[str | None] = mapped_column(String(200))
    purchase_order_reference: Mapped[str | None] = mapped_column(String(200))
    customer: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    buyer: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    seller: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    pdf_url: Mapped[str | None] = mapped_column(String(1000))
    consolidated_into_id: Mapped[uuid.UUID | None] = mapped_column()
    created_by: Mapped[str | None] = mapped_column(String(200))
    # The tenant's reseller and its commission rate (percent), read when the draft is made
    # and frozen at issue: a later change of the reseller's rate leaves issued invoices alone.
    reseller_id: Mapped[uuid.UUID | None] = mapped_column()
    commission_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    # The commission the frozen rate gives on the net, written once at issue (seed 003).
    commission_amount: Mapped[Decimal | None] = mapped_column(MONEY)

    cash_transactions: Mapped[list[CashTransaction]] = relationship(
        lazy="raise", viewonly=True, order_by="CashTransaction.created_at"
    )
    credit_notes: Mapped[list[CreditNote]] = relationship(
        lazy="raise",
        viewonly=True,
        order_by="CreditNote.created_at",
    )
    items: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice",
        lazy="raise",
        order_by="InvoiceLine.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class InvoiceLine(TenantScopedMixin, TimestampMixin, Base):
    """One line; ``line_total`` is its net (BT-131) rounded to the currency."""

    __tablename__ = "invoice_lines"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            ondelete="CASCADE",
        ),
        Index("ix_invoice_lines_tenant_id_invoice_id", "tenant_id", "invoice_id"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column()
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[uuid.UUID | None] = mapped_column()
    sku: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit_code: Mapped[str] = mapped_column(String(3), default="C62")
    unit_price: Mapped[Decimal] = mapped_column(QUANTITY)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    tax_category: Mapped[VatCategory] = mapped_column(EnumText(VatCategory, 2))
    tax_exemption_reason_code: Mapped[str | None] = mapped_column(String(40))
    tax_exemption_reason: Mapped[str | None] = mapped_column(String(500))
    line_total: Mapped[Decimal] = mapped_column(MONEY)
    variant_info: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    source_invoice_id: Mapped[uuid.UUID | None] = mapped_column()

    invoice: Mapped[Invoice] = relationship(back_populates="items", lazy="raise")


class InvoiceNumberCounter(Base):
    """The last number handed out in one series period (``daily:2025-12-13``, ``yearly:2026``).

    Incremented with ``INSERT ... ON CONFLICT DO UPDATE`` inside the issuing transaction: the row
    lock serialises concurrent issuers and a rollback returns the number, so there are no gaps.
    """

    __tablename__ = "invoice_number_counters"

    series_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger)


class InvoiceNumberRegistry(Base):
    """Every invoice number ever given out, operator-wide.

    Holds no tenant data, so it needs no row-level security, and lets an issuer see a number
    used by a tenant it cannot see: an auto-allocated number skips past numbers that clients
    supplied themselves, and a supplied number is refused when taken.
    """

    __tablename__ = "invoice_numbers"

    invoice_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
