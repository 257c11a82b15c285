"""Exact day-weighted amounts and the telescoping rounding behind every proration."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from billing.subscriptions.proration import Run, adjust, exact, round_half_up
from billing.subscriptions.schedule import Period

MARCH = Period(date(2027, 3, 1), date(2027, 4, 1))


class TestRounding:
    def test_half_up_away_from_zero(self) -> None:
        assert round_half_up(Fraction(1, 200), "EUR") == Decimal("0.01")
        assert round_half_up(Fraction(-1, 200), "EUR") == Decimal("-0.01")
        assert round_half_up(Fraction(1, 3), "EUR") == Decimal("0.33")
        assert round_half_up(Fraction(5, 2), "JPY") == Decimal("3")
        assert round_half_up(Fraction(1, 2000), "KWD") == Decimal("0.001")

    @given(st.decimals(min_value=-(10**9), max_value=10**9, places=6))
    def test_agrees_with_decimal_half_up(self, value: Decimal) -> None:
        expected = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert round_half_up(Fraction(value), "EUR") == expected


class TestSeedExample:
    def test_upgrade_half_way(self) -> None:
        # Seed 003: a 25.00 plan, 15 of 30 days left, to 50.00: credit 12.50, charge 25.00.
        june = Period(date(2027, 6, 1), date(2027, 7, 1))
        old = [Run(june.start, june.end, Decimal("25.00"))]
        new = [
            Run(june.start, date(2027, 6, 16), Decimal("25.00")),
            Run(date(2027, 6, 16), june.end, Decimal("50.00")),
        ]
        result = adjust(
            period=june,
            on=date(2027, 6, 16),
            before=old,
            after=new,
            billed=Decimal("25.00"),
            currency="EUR",
        )
        assert (result.credit, result.charge, result.net, result.days_remaining) == (
            Decimal("12.50"),
            Decimal("25.00"),
            Decimal("12.50"),
            15,
        )


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[tuple[date, Decimal]], Decimal]:
    """A month's changes: (day, per-period amount) in day order, the first on day 1."""
    amounts = st.decimals(min_value=0, max_value=10_000, places=4)
    days = sorted(set(draw(st.lists(st.integers(min_value=1, max_value=30), max_size=6))))
    first = draw(amounts)
    return [(MARCH.start, first)] + [
        (MARCH.start + timedelta(days=day), draw(amounts)) for day in days
    ], first


def _runs(changes: list[tuple[date, Decimal]]) -> list[Run]:
    ends = [day for day, _ in changes[1:]] + [MARCH.end]
    return [Run(day, end, amount) for (day, amount), end in zip(changes, ends, strict=True)]


@given(histories())
def test_any_number_of_changes_bills_round_of_the_exact_total(
    history: tuple[list[tuple[date, Decimal]], Decimal],
) -> None:
    """Bill the first configuration in advance, then apply each change: the period's bills
    always sum to round(exact day-weighted value), never drifting by a cent per change."""
    changes, _ = history
    runs = _runs(changes[:1])
    billed = round_half_up(exact(runs, MARCH), "EUR")
    for index in range(1, len(changes)):
        on, _ = changes[index]
        after = _runs(changes[: index + 1])
        result = adjust(
            period=MARCH, on=on, before=runs, after=after, billed=billed, currency="EUR"
        )
        billed += result.net
        runs = after
        assert billed == round_half_up(exact(after, MARCH), "EUR")
    day_by_day = sum(
        (
            Fraction(next(r.per_period for r in runs if r.start <= day < r.end)) / MARCH.days
            for day in (MARCH.start + timedelta(days=i) for i in range(MARCH.days))
        ),
        Fraction(0),
    )
    assert billed == round_half_up(day_by_day, "EUR")
