"""Day-weighted amounts, computed exactly and rounded once.

A period of ``D`` days of an item whose configuration costs ``C`` per period (``unit_amount`` x
``quantity``, or the flat amount) costs ``C / D`` per day. The amount of a period is the exact
sum, as a fraction, over the days each configuration ran; it is rounded half-up to the
currency's minor unit only when it is billed.

Rounding once, and so the quote always equals what is billed: every bill of an item's period
(the renewal, a change's credit and charge, a final bill) is the difference between two
*rounded cumulative* amounts, never a rounded part of its own:

* a change on day ``k`` credits ``billed - round(used)`` (what was billed beyond the exact value
  of the days already used) and charges ``round(used + rest at the new price) - round(used)``;
* the sum of everything billed for the period is therefore always ``round(exact total)``,
  however many changes happened in it. Per-part rounding (Stripe, Lago) drifts by a cent per
  change; telescoping does not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from billing.core.money import minor_unit
from billing.subscriptions.schedule import Period


@dataclass(frozen=True, slots=True)
class Run:
    """Days ``[start, end)`` of one period during which an item cost ``per_period``."""

    start: date
    end: date
    per_period: Decimal
    quantity: Decimal = Decimal(1)

    def days(self, until: date | None = None) -> int:
        """Days of the run before ``until`` (all of them without it)."""
        end = self.end if until is None else min(self.end, until)
        return max(0, (end - self.start).days)


def exact(runs: Iterable[Run], period: Period, *, until: date | None = None) -> Fraction:
    """The exact day-weighted amount of ``runs`` in ``period`` (only days before ``until``)."""
    total = Fraction(0)
    for run in runs:
        total += Fraction(run.per_period) * run.days(until) / period.days
    return total


def round_half_up(value: Fraction, currency: str) -> Decimal:
    """``value`` rounded half-up (away from zero) to the currency's minor unit, exactly."""
    places = minor_unit(currency)
    scaled = value * 10**places
    units, remainder = divmod(abs(scaled.numerator), scaled.denominator)
    if 2 * remainder >= scaled.denominator:
        units += 1
    signed = -units if scaled < 0 else units
    return Decimal(signed).scaleb(-places).quantize(Decimal(1).scaleb(-places))


@dataclass(frozen=True, slots=True)
class Adjustment:
    """What a change on ``on`` makes of an item's period (all amounts net of VAT).

    ``credit`` is the unused part of what was billed (positive: money back), ``charge`` the
    remaining days under the new configuration; ``net = charge - credit`` is what is due (a
    negative net is a credit to the tenant).
    """

    on: date
    days_remaining: int
    period_days: int
    credit: Decimal
    charge: Decimal

    @property
    def net(self) -> Decimal:
        """Charge minus credit."""
        return self.charge - self.credit


def adjust(
    *,
    period: Period,
    on: date,
    before: Sequence[Run],
    after: Sequence[Run],
    billed: Decimal,
    currency: str,
) -> Adjustment:
    """The credit and charge that move an item's period from ``before`` to ``after`` on ``on``.

    ``billed`` is what was billed for the period so far (in advance: the cumulative rounded
    amount of ``before``; in arrears: what the period-end bill would have been). Days before
    ``on`` cost the same in both.
    """
    used = round_half_up(exact(before, period, until=on), currency)
    target = round_half_up(exact(after, period), currency)
    return Adjustment(
        on=on,
        days_remaining=max(0, (period.end - on).days),
        period_days=period.days,
        credit=billed - used,
        charge=target - used,
    )
