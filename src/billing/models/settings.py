"""The operator's settings: one row holding a validated JSON document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Integer, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from billing.models.base import Base


class OperatorSettingsRow(Base):
    """Singleton row (``id = 1``); ``document`` is validated by ``OperatorSettings``."""

    __tablename__ = "operator_settings"
    __table_args__ = (CheckConstraint("id = 1", name="singleton"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


VERSION_QUERY = "SELECT xmin::text FROM operator_settings WHERE id = 1"
"""The settings row's version: its ``xmin`` changes with every committed change, in any process."""

VERSION_KEY = "operator_settings_version"
"""Where a session keeps the version read with its scope (``session.info``)."""
