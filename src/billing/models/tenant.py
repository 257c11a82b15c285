"""Tenants (the operator's customers) and resellers (who manage a subtree of tenants)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from billing.models.base import Base, TimestampMixin
from billing.models.states import TenantStatus
from billing.models.types import EnumText


class Reseller(TimestampMixin, Base):
    """A reseller; ``parent_id`` builds the reseller tree."""

    __tablename__ = "resellers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("resellers.id", ondelete="RESTRICT"), index=True
    )
    commission_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0.00"))
    email: Mapped[str | None] = mapped_column(String(320))


class Tenant(TimestampMixin, Base):
    """A company billed by the operator. Its id is the ``tenant_id`` of every row it owns."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    legal_name: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    country_code: Mapped[str | None] = mapped_column(String(2))
    default_currency: Mapped[str] = mapped_column(String(3), default="EUR")
    status: Mapped[TenantStatus] = mapped_column(
        EnumText(TenantStatus, 20), default=TenantStatus.ACTIVE, index=True
    )
    reseller_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("resellers.id", ondelete="RESTRICT"), index=True
    )
