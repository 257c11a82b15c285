"""The operator's catalog: tax rates and products (shared by every tenant's invoices)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from billing.core.totals import VatCategory
from billing.models.base import Base, TimestampMixin
from billing.models.types import EnumText


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
