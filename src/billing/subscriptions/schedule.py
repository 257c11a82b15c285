"""Billing periods: where each period of a subscription starts and ends.

Every boundary is computed from the subscription's anchor (a date) and anchor day, never from
the previous boundary, so clamping to a short month never accumulates: with anchor day 31 the
boundaries are Jan 31, Feb 28 (29 in a leap year), Mar 31, Apr 30... (Stripe bills "the last day
of the month closest to the anchor date" the same way). Periods are half-open date ranges
``[start, end)`` in the operator's time zone; a period of ``end - start`` days is the unit of
day-based proration.

Day and week intervals are plain day arithmetic from the anchor; month, quarter and year
intervals move the month and clamp the anchor day to the month's length.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from billing.models.catalog import PriceInterval

_MONTHS = {PriceInterval.MONTH: 1, PriceInterval.QUARTER: 3, PriceInterval.YEAR: 12}
_DAYS = {PriceInterval.DAY: 1, PriceInterval.WEEK: 7}


@dataclass(frozen=True, slots=True)
class Cadence:
    """How often a subscription bills: ``count`` x ``interval``, aligned on ``anchor``."""

    interval: PriceInterval
    count: int
    anchor: date
    anchor_day: int

    @property
    def month_based(self) -> bool:
        """True for month, quarter and year intervals (anchored on a day of the month)."""
        return PriceInterval(self.interval) in _MONTHS

    def boundary(self, index: int) -> date:
        """The ``index``-th period boundary (0 is the anchor; negative indexes go back)."""
        interval = PriceInterval(self.interval)
        if interval in _DAYS:
            return self.anchor + timedelta(days=_DAYS[interval] * self.count * index)
        months = (
            self.anchor.year * 12 + (self.anchor.month - 1) + _MONTHS[interval] * self.count * index
        )
        year, month = divmod(months, 12)
        return clamped(year, month + 1, self.anchor_day)

    def index_of(self, day: date) -> int:
        """The index of the period containing ``day`` (boundary(i) <= day < boundary(i + 1))."""
        interval = PriceInterval(self.interval)
        if interval in _DAYS:
            length = _DAYS[interval] * self.count
            return (day - self.anchor).days // length
        span = _MONTHS[interval] * self.count
        elapsed = (day.year - self.anchor.year) * 12 + (day.month - self.anchor.month)
        index = elapsed // span
        while self.boundary(index) > day:
            index -= 1
        while self.boundary(index + 1) <= day:
            index += 1
        return index

    def period_containing(self, day: date) -> Period:
        """The anchored period that contains ``day``."""
        index = self.index_of(day)
        return Period(self.boundary(index), self.boundary(index + 1))


@dataclass(frozen=True, slots=True)
class Period:
    """A billing period ``[start, end)``."""

    start: date
    end: date

    @property
    def days(self) -> int:
        """Length in days: the denominator of day-based proration."""
        return (self.end - self.start).days


def clamped(year: int, month: int, day: int) -> date:
    """``day`` of that month, or the month's last day when it is shorter (Feb 31 -> Feb 28)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def first_anchor(interval: PriceInterval, start: date, anchor_day: int | None) -> tuple[date, int]:
    """The first boundary on or after ``start`` and the anchor day it follows.

    Without an anchor day the subscription is anchored on its start. Day and week intervals
    are always anchored on the start (an anchor day of the month means nothing to them).
    """
    if anchor_day is None or PriceInterval(interval) in _DAYS:
        return start, start.day
    candidate = clamped(start.year, start.month, anchor_day)
    if candidate < start:
        following = start.month + 1
        year = start.year + (following - 1) // 12
        candidate = clamped(year, (following - 1) % 12 + 1, anchor_day)
    return candidate, anchor_day
