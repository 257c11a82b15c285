"""Errors shared by the reports."""

from __future__ import annotations

from billing.core.errors import Unprocessable


class InvalidDateRange(Unprocessable):
    """``from`` is after ``to``."""

    code = "invalid_date_range"
    message = "'from' must be on or before 'to'."


class DateRangeTooLong(Unprocessable):
    """A monthly report over more months than a response should carry."""

    code = "date_range_too_long"
    message = "The date range may span at most 120 months."
