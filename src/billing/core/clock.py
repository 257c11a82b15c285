"""The service clock: every "now" and "today" of the service, movable in tests.

``utcnow()`` and ``today_in()`` are what the domain reads (issue dates, due dates, renewals,
dunning retries, expiries). They follow the wall clock plus an *offset* that is always zero in
production and that tests move with ``POST /api/v1/test/clock`` (only when
``BILLING_ENABLE_TEST_ROUTES`` is on), so a year of renewals runs in seconds.

The offset is stored in the database (``service_clock``, one row) so that every API process,
worker and ``billing cycle`` run shares it; each process reads it at the start of a request or
job with ``refresh(session)``, which the callers do only while test routes are enabled, so a
production deployment never reads it and a stray row can never move its time.

Infrastructure keeps the wall clock (``wall_now()``): procrastinate compares job schedules with
the database's ``now()``, tokens and API keys expire in real time, and idempotency keys are
kept for 24 real hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_offset = timedelta(0)

_READ = text("SELECT offset_seconds FROM service_clock WHERE id = 1")
_WRITE = text(
    "INSERT INTO service_clock (id, offset_seconds, updated_at) VALUES (1, :offset, now())"
    " ON CONFLICT (id) DO UPDATE SET offset_seconds = EXCLUDED.offset_seconds,"
    " updated_at = now()"
)


def wall_now() -> datetime:
    """The real current instant (UTC), whatever the service clock says."""
    return datetime.now(UTC)


def utcnow() -> datetime:
    """The service's current instant, timezone-aware in UTC."""
    return wall_now() + _offset


def today_in(timezone: str) -> date:
    """The service's today in ``timezone`` (an IANA name)."""
    return utcnow().astimezone(ZoneInfo(timezone)).date()


def local_date(instant: datetime, timezone: str) -> date:
    """The calendar date of ``instant`` in ``timezone``."""
    return instant.astimezone(ZoneInfo(timezone)).date()


def offset() -> timedelta:
    """How far the service clock is ahead of (or behind) the wall clock in this process."""
    return _offset


def set_offset(value: timedelta) -> None:
    """Move this process's clock (``save`` makes it stick for every process)."""
    global _offset
    _offset = value


async def refresh(session: AsyncSession) -> timedelta:
    """Load the shared offset into this process (zero when none was ever set)."""
    stored = await session.scalar(_READ)
    set_offset(timedelta(seconds=float(stored)) if stored is not None else timedelta(0))
    return _offset


async def save(session: AsyncSession, value: timedelta) -> None:
    """Store ``value`` as the shared offset (committed with the caller's transaction) and use
    it in this process at once."""
    await session.execute(_WRITE, {"offset": value.total_seconds()})
    set_offset(value)
