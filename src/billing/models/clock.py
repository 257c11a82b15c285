"""The service clock's shared offset (see ``billing.core.clock``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Float, Integer, func
from sqlalchemy.orm import Mapped, mapped_column

from billing.models.base import Base


class ServiceClock(Base):
    """How far the service clock is from the wall clock (one row; holds no tenant data).

    Written only through ``POST /api/v1/test/clock``; read only while test routes are enabled.
    """

    __tablename__ = "service_clock"
    __table_args__ = (CheckConstraint("id = 1", name="singleton"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    offset_seconds: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
