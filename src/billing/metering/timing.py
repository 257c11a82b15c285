"""When a usage event counts: the rule that makes late events land in exactly one invoice.

An event counts at ``effective_at``:

* its own ``timestamp`` when it arrives within the grace period after it (or up to
  ``FUTURE_SKEW`` before it: clocks differ a little);
* its arrival otherwise: it is late, and counts in the period it arrives in, so the next
  invoice bills it.

So ``effective_at >= received_at - grace`` for every event. An invoice that bills usage
counted before ``bound = min(period end, now - grace - IN_FLIGHT_MARGIN)`` can therefore
never miss an event that arrives later: such an event counts at or after ``bound``, in the
next invoice. The billing cycle waits for the grace period after a period ends before it
issues the renewal of a subscription with metered prices, so events arriving within it still
land in the period of their timestamp.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FUTURE_SKEW = timedelta(minutes=5)
"""How far in the future an event's timestamp may be (clock skew of the reporting service)."""

IN_FLIGHT_MARGIN = timedelta(minutes=1)
"""Time for a request that stamped its events ``received_at`` to commit them: billing stays
that far behind the present, so an ingestion still in flight is never skipped."""


def effective_at(occurred_at: datetime, received_at: datetime, grace: timedelta) -> datetime:
    """When an event counts (see the module docstring)."""
    return occurred_at if received_at - occurred_at <= grace else received_at


def settled_bound(until: datetime, now: datetime, grace: timedelta) -> datetime:
    """The latest instant up to which usage is complete at ``now``, at most ``until``."""
    return min(until, now - grace - IN_FLIGHT_MARGIN)


def start_of(day: date, timezone: str) -> datetime:
    """Midnight starting ``day`` in ``timezone`` (periods are dates in the operator's zone)."""
    return datetime.combine(day, time(0), ZoneInfo(timezone))
