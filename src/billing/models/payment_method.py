"""Saved payment methods (Stripe PaymentMethods, Mollie mandates) and provider customers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from billing.models.base import Base, TenantScopedMixin, TimestampMixin
from billing.models.states import PaymentMethodStatus
from billing.models.types import EnumText


class PaymentMethod(TenantScopedMixin, TimestampMixin, Base):
    """A tenant's reusable payment method at a provider, from the setup that created it.

    Holds display data only (brand, last four digits, expiry, mandate status), never a full card
    number or IBAN. At most one row per tenant is the default (a partial unique index).
    """

    __tablename__ = "payment_methods"
    __table_args__ = (
        Index(
            "uq_payment_methods_tenant_id_default",
            "tenant_id",
            unique=True,
            postgresql_where=text("is_default"),
        ),
        Index("uq_payment_methods_provider_setup_ref", "provider", "setup_ref", unique=True),
        Index("ix_payment_methods_id", "id", unique=True),
        Index("uq_payment_methods_provider_provider_ref", "provider", "provider_ref", unique=True),
    )

    provider: Mapped[str] = mapped_column(String(30))
    method_type: Mapped[str] = mapped_column(String(30))
    status: Mapped[PaymentMethodStatus] = mapped_column(EnumText(PaymentMethodStatus, 20))
    provider_customer_id: Mapped[str] = mapped_column(String(200))
    # The SetupIntent (seti_...) or Mollie first payment (tr_...) that creates the method.
    setup_ref: Mapped[str | None] = mapped_column(String(200))
    # The saved method itself (pm_..., mdt_...), known once the setup is confirmed.
    provider_ref: Mapped[str | None] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(50))
    last4: Mapped[str | None] = mapped_column(String(4))
    exp_month: Mapped[int | None] = mapped_column(Integer)
    exp_year: Mapped[int | None] = mapped_column(Integer)
    mandate_status: Mapped[str | None] = mapped_column(String(20))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    failure_code: Mapped[str | None] = mapped_column(String(100))
    failure_message: Mapped[str | None] = mapped_column(String(500))
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProviderCustomer(TenantScopedMixin, TimestampMixin, Base):
    """The provider's customer (``cus_...``, ``cst_...``) that holds a tenant's saved methods.

    Created at the provider on the tenant's first setup and reused afterwards: one per tenant
    and provider.
    """

    __tablename__ = "provider_customers"
    __table_args__ = (
        Index("uq_provider_customers_tenant_id_provider", "tenant_id", "provider", unique=True),
        Index(
            "uq_provider_customers_provider_customer_id",
            "provider",
            "provider_customer_id",
            unique=True,
        ),
    )

    provider: Mapped[str] = mapped_column(String(30))
    provider_customer_id: Mapped[str] = mapped_column(String(200))
