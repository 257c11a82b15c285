"""Dates in the operator's time zone; timestamps are always UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def today_in(timezone: str) -> date:
    """Today's calendar date in ``timezone`` (an IANA name)."""
    return datetime.now(ZoneInfo(timezone)).date()
