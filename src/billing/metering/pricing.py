"""Pricing usage: a quantity and a metered price's model give invoice lines.

The four models of Lago and Stripe:

* ``per_unit``: quantity x unit amount.
* ``package``: every started package of ``package_size`` units costs the unit amount
  (1,001 calls in packages of 1,000 are two packages).
* ``graduated``: each tier prices the units that fall in it (the first 100 at 0, the next
  900 at 0.10, the rest at 0.05), plus the tier's flat amount once any unit reaches it.
* ``volume``: the tier the whole quantity falls in prices every unit (1,500 units at the
  1,001-10,000 tier's price), plus that tier's flat amount.

Each price becomes one or more lines of ``quantity x unit price`` whose nets are rounded
half-up to the currency's minor unit like every invoice line (``billing.core.totals``), so
the invoice, its PDF and its XML show the same numbers: a graduated price is one line per
tier reached, a flat amount is its own line of 1 x the amount. Nothing here touches a float.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from billing.core.money import MAX_AMOUNT, round_money
from billing.models.usage import UsageModel

ZERO = Decimal(0)
ONE = Decimal(1)

MAX_LINE_QUANTITY = Decimal("99999999999999.999999")
"""The largest quantity an invoice line holds (``NUMERIC(20, 6)``). One event's number is
bounded by it, but a period's sum of many is not: usage beyond it cannot be invoiced."""


@dataclass(frozen=True, slots=True)
class Tier:
    """Units up to ``up_to`` (inclusive; ``None``: no limit) at ``unit_amount`` each, plus
    ``flat_amount`` once."""

    up_to: Decimal | None
    unit_amount: Decimal
    flat_amount: Decimal = ZERO

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> Tier:
        """A tier as a price stores it (decimal strings)."""
        up_to = stored.get("up_to")
        return cls(
            up_to=None if up_to is None else Decimal(str(up_to)),
            unit_amount=Decimal(str(stored.get("unit_amount", "0"))),
            flat_amount=Decimal(str(stored.get("flat_amount", "0"))),
        )

    def stored(self) -> dict[str, str | None]:
        """The tier as a price stores it."""
        return {
            "up_to": None if self.up_to is None else str(self.up_to),
            "unit_amount": str(self.unit_amount),
            "flat_amount": str(self.flat_amount),
        }


@dataclass(frozen=True, slots=True)
class UsagePrice:
    """What a metered price says about amounts (read from a ``Price`` row)."""

    model: UsageModel
    unit_amount: Decimal = ZERO
    package_size: Decimal | None = None
    tiers: tuple[Tier, ...] = ()


@dataclass(frozen=True, slots=True)
class PricedLine:
    """One invoice line of usage: ``quantity x unit_price``, described by ``label``."""

    quantity: Decimal
    unit_price: Decimal
    label: str


def _number(value: Decimal) -> str:
    """``1,500`` or ``12.5``: a quantity as a line label shows it."""
    text = f"{value.normalize():,f}"
    return text


def tier_bounds(tiers: Sequence[Tier]) -> list[tuple[Decimal, Decimal | None]]:
    """Each tier's units as ``(after, up_to)``: the tier covers ``after < units <= up_to``."""
    bounds = []
    after = ZERO
    for tier in tiers:
        bounds.append((after, tier.up_to))
        if tier.up_to is not None:
            after = tier.up_to
    return bounds


def price_lines(price: UsagePrice, quantity: Decimal) -> list[PricedLine]:
    """The lines that bill ``quantity`` units (none for nothing used)."""
    if quantity <= 0:
        return []
    model = UsageModel(price.model)
    if model is UsageModel.PER_UNIT:
        return [PricedLine(quantity, price.unit_amount, f"{_number(quantity)} units")]
    if model is UsageModel.PACKAGE:
        size = price.package_size or ONE
        packages = (quantity / size).to_integral_value(rounding=ROUND_CEILING)
        return [
            PricedLine(
                packages,
                price.unit_amount,
                f"{_number(quantity)} units in {_number(packages)} packages of {_number(size)}",
            )
        ]
    if model is UsageModel.VOLUME:
        for (after, up_to), tier in zip(tier_bounds(price.tiers), price.tiers, strict=True):
            if up_to is None or quantity <= up_to:
                label = _tier_label(after, up_to)
                lines = [
                    PricedLine(quantity, tier.unit_amount, f"{_number(quantity)} units, {label}")
                ]
                if tier.flat_amount:
                    lines.append(PricedLine(ONE, tier.flat_amount, f"Flat fee, {label}"))
                return lines
        raise ValueError("the last tier of a volume price has no upper bound")
    lines = []
    for (after, up_to), tier in zip(tier_bounds(price.tiers), price.tiers, strict=True):
        if quantity <= after:
            break
        units = (quantity if up_to is None else min(quantity, up_to)) - after
        label = _tier_label(after, up_to)
        lines.append(PricedLine(units, tier.unit_amount, f"{_number(units)} units, {label}"))
        if tier.flat_amount:
            lines.append(PricedLine(ONE, tier.flat_amount, f"Flat fee, {label}"))
    return lines


def _tier_label(after: Decimal, up_to: Decimal | None) -> str:
    if up_to is None:
        return f"above {_number(after)}"
    return f"tier {_number(after)} to {_number(up_to)}"


def oversized(lines: Sequence[PricedLine]) -> str | None:
    """Why ``lines`` cannot be invoice lines (a quantity or an amount beyond what an invoice
    books), or None when they can. The quantity is checked first: its product with a price
    could exceed the precision of a decimal."""
    for line in lines:
        if line.quantity > MAX_LINE_QUANTITY:
            return (
                f"{_number(line.quantity)} units exceed {_number(MAX_LINE_QUANTITY)}, the most "
                "an invoice line holds"
            )
        if line.quantity * line.unit_price > MAX_AMOUNT:
            return (
                f"{_number(line.quantity)} units at {_number(line.unit_price)} exceed "
                f"{MAX_AMOUNT}, the largest amount an invoice line may have"
            )
    return None


def amount_of(lines: Sequence[PricedLine], currency: str) -> Decimal:
    """The net of the lines as an invoice computes it (each line rounded, then summed)."""
    return sum((round_money(line.quantity * line.unit_price, currency) for line in lines), ZERO)
