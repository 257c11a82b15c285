"""A tenant's billing profile: how it appears as the buyer on its invoices."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from billing.models.base import Base, TimestampMixin


class BillingProfile(TimestampMixin, Base):
    """One per tenant; primary key ``tenant_id``."""

    __tablename__ = "billing_profiles"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True
    )
    company_name: Mapped[str | None] = mapped_column(String(300))
    address_line1: Mapped[str | None] = mapped_column(String(300))
    address_line2: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(120))
    state: Mapped[str | None] = mapped_column(String(120))
    country_code: Mapped[str | None] = mapped_column(String(2))
    vat_id: Mapped[str | None] = mapped_column(String(40))
    tax_id: Mapped[str | None] = mapped_column(String(40))
    legal_registration_id: Mapped[str | None] = mapped_column(String(60))
    billing_email: Mapped[str | None] = mapped_column(String(320))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    buyer_reference: Mapped[str | None] = mapped_column(String(200))
    peppol_endpoint_id: Mapped[str | None] = mapped_column(String(200))
    peppol_scheme: Mapped[str | None] = mapped_column(String(4))
    purchase_order_reference: Mapped[str | None] = mapped_column(String(200))
    preferred_einvoice_format: Mapped[str | None] = mapped_column(String(20))
    attach_einvoice_to_email: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(8))
    currency: Mapped[str | None] = mapped_column(String(3))
