"""Billing periods: anchors, end-of-month clamping that never accumulates, every interval."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from billing.models.catalog import PriceInterval
from billing.subscriptions.schedule import Cadence, clamped, first_anchor

MONTHLY_31 = Cadence(PriceInterval.MONTH, 1, date(2027, 1, 31), 31)


class TestEndOfMonth:
    def test_the_31st_becomes_the_last_day_and_comes_back(self) -> None:
        assert [MONTHLY_31.boundary(i) for i in range(5)] == [
            date(2027, 1, 31),
            date(2027, 2, 28),
            date(2027, 3, 31),
            date(2027, 4, 30),
            date(2027, 5, 31),
        ]

    def test_leap_february(self) -> None:
        cadence = Cadence(PriceInterval.MONTH, 1, date(2028, 1, 31), 31)
        assert cadence.boundary(1) == date(2028, 2, 29)
        assert cadence.boundary(2) == date(2028, 3, 31)

    def test_the_30th_in_february_then_back_to_the_30th(self) -> None:
        cadence = Cadence(PriceInterval.MONTH, 1, date(2027, 1, 30), 30)
        assert [cadence.boundary(i) for i in range(4)] == [
            date(2027, 1, 30),
            date(2027, 2, 28),
            date(2027, 3, 30),
            date(2027, 4, 30),
        ]

    def test_yearly_on_february_29(self) -> None:
        cadence = Cadence(PriceInterval.YEAR, 1, date(2028, 2, 29), 29)
        assert [cadence.boundary(i) for i in range(5)] == [
            date(2028, 2, 29),
            date(2029, 2, 28),
            date(2030, 2, 28),
            date(2031, 2, 28),
            date(2032, 2, 29),
        ]

    def test_quarterly_from_november_30(self) -> None:
        cadence = Cadence(PriceInterval.QUARTER, 1, date(2027, 11, 30), 30)
        assert [cadence.boundary(i) for i in range(3)] == [
            date(2027, 11, 30),
            date(2028, 2, 29),
            date(2028, 5, 30),
        ]

    def test_backwards_from_the_anchor(self) -> None:
        assert MONTHLY_31.boundary(-1) == date(2026, 12, 31)
        assert MONTHLY_31.boundary(-2) == date(2026, 11, 30)


class TestFirstAnchor:
    def test_no_anchor_day_anchors_on_the_start(self) -> None:
        assert first_anchor(PriceInterval.MONTH, date(2027, 3, 15), None) == (
            date(2027, 3, 15),
            15,
        )

    def test_anchor_day_later_this_month(self) -> None:
        assert first_anchor(PriceInterval.MONTH, date(2027, 3, 15), 20) == (
            date(2027, 3, 20),
            20,
        )

    def test_anchor_day_passed_moves_to_next_month_clamped(self) -> None:
        assert first_anchor(PriceInterval.MONTH, date(2027, 1, 31), 30) == (
            date(2027, 2, 28),
            30,
        )

    def test_december_rolls_into_january(self) -> None:
        assert first_anchor(PriceInterval.YEAR, date(2027, 12, 20), 1) == (date(2028, 1, 1), 1)

    def test_weeks_ignore_the_day_of_month(self) -> None:
        assert first_anchor(PriceInterval.WEEK, date(2027, 3, 15), 3) == (date(2027, 3, 15), 15)

    def test_a_stub_period_before_the_anchor(self) -> None:
        anchor, day = first_anchor(PriceInterval.MONTH, date(2027, 1, 15), 1)
        period = Cadence(PriceInterval.MONTH, 1, anchor, day).period_containing(date(2027, 1, 15))
        assert (period.start, period.end, period.days) == (date(2027, 1, 1), date(2027, 2, 1), 31)


CADENCES = st.builds(
    lambda interval, count, anchor, day: Cadence(
        interval,
        count,
        clamped(anchor.year, anchor.month, day) if interval not in ("day", "week") else anchor,
        day if interval not in ("day", "week") else anchor.day,
    ),
    st.sampled_from(list(PriceInterval)),
    st.integers(min_value=1, max_value=4),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    st.integers(min_value=1, max_value=31),
)


@given(CADENCES, st.integers(min_value=-60, max_value=60))
def test_boundaries_increase_and_keep_the_anchor_day(cadence: Cadence, index: int) -> None:
    here, there = cadence.boundary(index), cadence.boundary(index + 1)
    assert here < there
    if cadence.month_based:
        last = calendar.monthrange(here.year, here.month)[1]
        assert here.day == min(cadence.anchor_day, last)  # clamping never accumulates


@given(CADENCES, st.dates(min_value=date(2019, 1, 1), max_value=date(2036, 12, 31)))
def test_every_day_is_in_exactly_one_period(cadence: Cadence, day: date) -> None:
    period = cadence.period_containing(day)
    assert period.start <= day < period.end
    assert cadence.period_containing(period.start) == period
    assert cadence.period_containing(period.end - timedelta(days=1)) == period
    assert cadence.period_containing(period.end).start == period.end
