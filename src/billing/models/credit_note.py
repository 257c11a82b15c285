"""Credit notes (UNTDID 1001 type 381): documents of their own that correct an issued invoice.

A credit note is written once, in the transaction that issues it, and never changed: the API
role may only insert and read these tables (``billing.models.rls.APPEND_ONLY_TABLES``). It keeps
its own copies of what its e-invoice needs (seller, buyer, references, lines), so it renders the
same bytes whatever happens later to the invoice or the settings.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from billing.core.totals import VatCategory
from billing.models.base import Base, TenantScopedMixin
from billing.models.invoice import MONEY, QUANTITY

CREDIT_NOTE_RENDITION_CONSTRAINT = "uq_credit_note_documents_rendition"


class CreditNote(TenantScopedMixin, Base):
    """One issued credit note of one invoice, with what it did to the money.

    A credit by lines credits each VAT group's own share of the invoice's document discount
    (``discount_split``), so what it credits per group is what the invoice charged.
    ``total_amount`` is split into ``balance_reduction`` (what the invoice no longer asks for),
    ``refunded_amount`` (paid money given back to the payer) and ``wallet_amount`` (paid money
    moved to the tenant's wallet); the three always add up to the total.
    """

    __tablename__ = "credit_notes"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "invoice_id"], ["invoices.tenant_id", "invoices.id"]),
        Index("ix_credit_notes_tenant_id_invoice_id", "tenant_id", "invoice_id"),
        Index("ix_credit_notes_tenant_id_issue_date", "tenant_id", "issue_date"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column()
    credit_note_number: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500))
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date] = mapped_column(Date)
    subtotal: Mapped[Decimal] = mapped_column(MONEY)
    discount_amount: Mapped[Decimal] = mapped_column(MONEY)
    # The discount's part of each VAT group: [{"category", "rate", "amount"}] (decimal strings).
    discount_split: Mapped[list[dict[str, str]]] = mapped_column(JSONB)
    tax_amount: Mapped[Decimal] = mapped_column(MONEY)
    total_amount: Mapped[Decimal] = mapped_column(MONEY)
    settlement: Mapped[str] = mapped_column(String(20))
    balance_reduction: Mapped[Decimal] = mapped_column(MONEY)
    refunded_amount: Mapped[Decimal] = mapped_column(MONEY)
    wallet_amount: Mapped[Decimal] = mapped_column(MONEY)
    invoice_number: Mapped[str] = mapped_column(String(64))
    invoice_issue_date: Mapped[date] = mapped_column(Date)
    buyer: Mapped[dict[str, Any]] = mapped_column(JSONB)
    seller: Mapped[dict[str, Any]] = mapped_column(JSONB)
    buyer_reference: Mapped[str | None] = mapped_column(String(200))
    purchase_order_reference: Mapped[str | None] = mapped_column(String(200))
    destination_country: Mapped[str | None] = mapped_column(String(2))
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    items: Mapped[list[CreditNoteLine]] = relationship(
        lazy="raise", viewonly=True, order_by="CreditNoteLine.position"
    )

    def discount_parts(self) -> dict[tuple[VatCategory, Decimal], Decimal] | None:
        """``discount_split`` for the totals engine (``None`` without a discount)."""
        if not self.discount_split:
            return None
        return {
            (VatCategory(part["category"]), Decimal(part["rate"])): Decimal(part["amount"])
            for part in self.discount_split
        }


class CreditNoteLine(TenantScopedMixin, Base):
    """One credited line; ``invoice_line_id`` names the invoice line it credits (null for an
    amount credited on a whole VAT group)."""

    __tablename__ = "credit_note_lines"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "credit_note_id"], ["credit_notes.tenant_id", "credit_notes.id"]
        ),
        Index("ix_credit_note_lines_tenant_id_credit_note_id", "tenant_id", "credit_note_id"),
    )

    credit_note_id: Mapped[uuid.UUID] = mapped_column()
    position: Mapped[int] = mapped_column(Integer)
    invoice_line_id: Mapped[uuid.UUID | None] = mapped_column()
    sku: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit_code: Mapped[str] = mapped_column(String(3))
    unit_price: Mapped[Decimal] = mapped_column(QUANTITY)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    tax_category: Mapped[str] = mapped_column(String(2))
    tax_exemption_reason_code: Mapped[str | None] = mapped_column(String(40))
    tax_exemption_reason: Mapped[str | None] = mapped_column(String(500))
    line_total: Mapped[Decimal] = mapped_column(MONEY)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CreditNoteDocument(TenantScopedMixin, Base):
    """One rendition of a credit note (a format, a paper size, a renderer version), stored once
    and served byte-identical afterwards, like ``StoredDocument`` for invoices."""

    __tablename__ = "credit_note_documents"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "credit_note_id"], ["credit_notes.tenant_id", "credit_notes.id"]
        ),
        UniqueConstraint(
            "tenant_id",
            "credit_note_id",
            "format",
            "paper_size",
            "renderer_version",
            "presentation_key",
            name=CREDIT_NOTE_RENDITION_CONSTRAINT,
        ),
    )

    credit_note_id: Mapped[uuid.UUID] = mapped_column()
    format: Mapped[str] = mapped_column(String(20))
    paper_size: Mapped[str] = mapped_column(String(40))
    renderer_version: Mapped[int] = mapped_column(Integer)
    presentation_key: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
