"""Declarative base, naming conventions and the tenant-scoped mixin."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from billing.core.clock import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every ORM model; constraint names follow ``NAMING_CONVENTION``."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _utcnow() -> datetime:
    return utcnow()  # the service clock (moved by tests), see billing.core.clock


class TimestampMixin:
    """``created_at`` / ``updated_at`` in UTC.

    Set in Python (so they are readable right after a flush without another round trip) and
    defaulted by the database for rows written outside the ORM.
    """

    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, server_default=func.now(), sort_order=900
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        default=_utcnow,
        onupdate=_utcnow,
        server_default=func.now(),
        sort_order=901,
    )


class TenantScopedMixin:
    """A tenant-owned row: ``(tenant_id, id)`` primary key, ``tenant_id`` leading (Citus-ready).

    Tables using it get row-level security in their migration (see ``billing.models.rls``).
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True, sort_order=-20
        )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4, sort_order=-10)
