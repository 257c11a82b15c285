"""Date ranges of the reports."""

from __future__ import annotations

from datetime import date

from billing.reports.errors import DateRangeTooLong, InvalidDateRange

MAX_MONTHS = 120


def check_range(date_from: date | None, date_to: date | None) -> None:
    """Refuse a range that ends before it starts."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidDateRange


def month_starts(date_from: date, date_to: date) -> list[date]:
    """The first day of every month from ``date_from``'s to ``date_to``'s, at most 120."""
    check_range(date_from, date_to)
    count = (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
    if count > MAX_MONTHS:
        raise DateRangeTooLong
    return [
        date(
            date_from.year + (date_from.month - 1 + step) // 12,
            (date_from.month - 1 + step) % 12 + 1,
            1,
        )
        for step in range(count)
    ]
