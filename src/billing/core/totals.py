"""The one totals engine: EN 16931 invoice arithmetic, shared by the API and every renderer.

Rules (EN 16931-1, BR-CO-10..16 and BR-S-08 family):

* a line net (BT-131) is quantity x unit price, rounded half-up to the currency's minor unit;
* the sum of line nets (BT-106) is the sum of the *rounded* line nets;
* a document discount (BG-20) over lines of several VAT groups is split into one allowance per
  (category, rate) group, in proportion to the group's net, by largest remainder in minor units,
  so the parts add up to the discount exactly; a caller that must attribute it otherwise (a
  credit note crediting each VAT group's own share of an invoice's discount) gives the split;
* VAT is computed once per (category, rate) group on the group's taxable amount
  (net - allowances + charges) and rounded; never line by line;
* a rate has at most ``RATE_PLACES`` (4) decimals, the precision the API accepts and the
  database stores; lines group, VAT is computed and every format writes the rate with exactly
  the value given (19.005 stays 19.005: BR-S-08 compares line and breakdown rates exactly);
* BT-109 = BT-106 - BT-107 + BT-108, BT-112 = BT-109 + BT-110, BT-115 = BT-112 - BT-113.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from billing.core.money import (
    HUNDRED,
    MAX_AMOUNT,
    ZERO,
    format_money,
    minor_unit,
    round_money,
)

RATE_PLACES = 4
"""Decimals of a VAT rate (BT-96, BT-119, BT-152) everywhere: API, engine, storage, XML, PDF."""
RATE_QUANTUM = Decimal(1).scaleb(-RATE_PLACES)


class VatCategory(StrEnum):
    """EN 16931 VAT category codes (UNTDID 5305 subset)."""

    STANDARD = "S"
    ZERO_RATED = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"
    EXPORT = "G"
    OUTSIDE_SCOPE = "O"

    @property
    def needs_exemption_reason(self) -> bool:
        """BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10: these categories need a reason."""
        return self in _EXEMPTION_REQUIRED


_EXEMPTION_REQUIRED = frozenset(
    {
        VatCategory.EXEMPT,
        VatCategory.REVERSE_CHARGE,
        VatCategory.INTRA_COMMUNITY,
        VatCategory.EXPORT,
        VatCategory.OUTSIDE_SCOPE,
    }
)


@dataclass(frozen=True, slots=True)
class TaxableLine:
    """The arithmetic view of one invoice line."""

    quantity: Decimal
    unit_price: Decimal
    category: VatCategory
    rate: Decimal


@dataclass(frozen=True, slots=True)
class GroupAllowance:
    """One document-level allowance (BG-20) or charge (BG-21) attributed to a VAT group."""

    amount: Decimal
    category: VatCategory
    rate: Decimal


@dataclass(frozen=True, slots=True)
class TaxGroup:
    """One VAT breakdown entry (BG-23) per (category, rate)."""

    category: VatCategory
    rate: Decimal
    line_net_total: Decimal
    allowance_total: Decimal
    charge_total: Decimal
    taxable_amount: Decimal  # BT-116
    tax_amount: Decimal  # BT-117


@dataclass(frozen=True, slots=True)
class Totals:
    """Document totals (BG-22) with the per-line nets and the VAT breakdown."""

    currency: str
    line_nets: tuple[Decimal, ...]  # BT-131, in line order
    line_total: Decimal  # BT-106
    allowance_total: Decimal  # BT-107
    charge_total: Decimal  # BT-108
    tax_exclusive: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    tax_inclusive: Decimal  # BT-112
    prepaid: Decimal  # BT-113
    payable: Decimal  # BT-115
    groups: tuple[TaxGroup, ...]
    allowances: tuple[GroupAllowance, ...]
    charges: tuple[GroupAllowance, ...]


class TotalsError(ValueError):
    """The amounts cannot form a valid invoice (a discount larger than the lines, say)."""


def line_net(quantity: Decimal, unit_price: Decimal, currency: str) -> Decimal:
    """BT-131: quantity x unit price, rounded half-up to the currency's minor unit."""
    return round_money(quantity * unit_price, currency)


def group_tax(taxable_amount: Decimal, rate: Decimal, currency: str) -> Decimal:
    """BT-117: taxable amount x rate / 100, rounded half-up to the currency's minor unit."""
    return round_money(taxable_amount * rate / HUNDRED, currency)


def compute_totals(
    lines: Sequence[TaxableLine],
    *,
    currency: str,
    discount: Decimal = ZERO,
    charge: Decimal = ZERO,
    prepaid: Decimal = ZERO,
    discount_split: Mapping[tuple[VatCategory, Decimal], Decimal] | None = None,
) -> Totals:
    """Compute every total of an invoice from its lines and document discount and charge.

    Args:
        lines: the invoice lines in order.
        currency: ISO 4217 code; fixes the rounding.
        discount: the document discount (BT-107), split over the VAT groups.
        charge: a document charge (BT-108), split over the VAT groups the same way.
        prepaid: the amount already paid (BT-113).
        discount_split: the discount's part of each (category, rate) group, instead of the
            proportional split; the parts must add up to ``discount``, each within its
            group's net.

    Returns:
        The totals; ``payable`` is what is still due.

    Raises:
        TotalsError: negative discount/charge, a rate with more than ``RATE_PLACES``
            decimals, a discount without lines to carry it or larger than the lines' total,
            or a split that does not fit the discount or the groups, or a line or total
            beyond ``MAX_AMOUNT``.
    """
    if discount < 0 or charge < 0:
        raise TotalsError("discount and charge must not be negative")
    for position, line in enumerate(lines, start=1):
        # Checked before rounding: quantize needs every digit of the product, and a
        # product beyond the context's precision cannot be rounded at all.
        if abs(line.quantity * line.unit_price) > MAX_AMOUNT:
            raise TotalsError(
                f"line {position}: quantity x unit price exceeds {MAX_AMOUNT}, the largest "
                "amount an invoice line may have"
            )
    nets = tuple(line_net(line.quantity, line.unit_price, currency) for line in lines)
    line_total = sum(nets, ZERO)
    discount = round_money(discount, currency)
    charge = round_money(charge, currency)
    if discount > 0 and discount > line_total:
        raise TotalsError(
            f"discount {format_money(discount, currency)} exceeds the line total "
            f"{format_money(line_total, currency)}"
        )

    group_nets: dict[tuple[VatCategory, Decimal], Decimal] = {}
    for line, net in zip(lines, nets, strict=True):
        key = (line.category, normalize_rate(line.rate))
        group_nets[key] = group_nets.get(key, ZERO) + net
    if (discount or charge) and not group_nets:
        raise TotalsError("a document discount or charge needs at least one line")

    if discount_split is None:
        discount_parts = _split_proportionally(discount, group_nets, currency)
    else:
        discount_parts = _given_split(discount, discount_split, group_nets, currency)
    charge_parts = _split_proportionally(charge, group_nets, currency)
    zero = round_money(ZERO, currency)
    groups = []
    for key, net in group_nets.items():
        category, rate = key
        allowance = discount_parts.get(key, zero)
        extra = charge_parts.get(key, zero)
        taxable = net - allowance + extra
        groups.append(
            TaxGroup(
                category=category,
                rate=rate,
                line_net_total=net,
                allowance_total=allowance,
                charge_total=extra,
                taxable_amount=taxable,
                tax_amount=group_tax(taxable, rate, currency),
            )
        )

    tax_exclusive = line_total - discount + charge
    tax_total = sum((group.tax_amount for group in groups), ZERO)
    tax_inclusive = tax_exclusive + tax_total
    if max(line_total, tax_inclusive) > MAX_AMOUNT:
        raise TotalsError(f"the invoice total exceeds {MAX_AMOUNT}, the largest amount it may have")
    prepaid = round_money(prepaid, currency)
    return Totals(
        currency=currency,
        line_nets=nets,
        line_total=line_total,
        allowance_total=discount,
        charge_total=charge,
        tax_exclusive=tax_exclusive,
        tax_total=tax_total,
        tax_inclusive=tax_inclusive,
        prepaid=prepaid,
        payable=tax_inclusive - prepaid,
        groups=tuple(groups),
        allowances=_as_allowances(discount_parts),
        charges=_as_allowances(charge_parts),
    )


def normalize_rate(rate: Decimal) -> Decimal:
    """The rate as grouped and written: at least two decimals, trailing zeros beyond dropped.

    16, 16.0 and 16.0000 are one VAT group (``16.00``); 19.005 stays ``19.005``.

    Raises:
        TotalsError: the rate has more than ``RATE_PLACES`` decimals; rounding it would make
            the written line rate differ from the rate the VAT was computed with.
    """
    if not rate.is_finite() or rate != rate.quantize(RATE_QUANTUM):
        raise TotalsError(f"a VAT rate has at most {RATE_PLACES} decimals, got {rate}")
    exact = rate.quantize(RATE_QUANTUM).normalize()
    if -int(exact.as_tuple().exponent) < 2:
        return exact.quantize(Decimal("0.01"))
    return exact


def _split_proportionally(
    amount: Decimal,
    weights: dict[tuple[VatCategory, Decimal], Decimal],
    currency: str,
) -> dict[tuple[VatCategory, Decimal], Decimal]:
    """Split ``amount`` over the keys in proportion to their weights, exact to the minor unit.

    Largest-remainder method on integer minor units: the parts always sum to ``amount``.
    """
    if amount == 0 or not weights:
        return {}
    exponent = minor_unit(currency)
    units = int(amount.scaleb(exponent))
    total_weight = sum(weights.values(), ZERO)
    if total_weight <= 0:
        # Nothing to weigh by (all lines free): put everything on the first group.
        first = next(iter(weights))
        return {first: amount}
    shares: list[tuple[tuple[VatCategory, Decimal], int, Decimal]] = []
    for key, weight in weights.items():
        exact = Decimal(units) * weight / total_weight
        floor = int(exact)
        shares.append((key, floor, exact - floor))
    left = units - sum(floor for _, floor, _ in shares)
    # Give the leftover units to the largest remainders; ties keep the groups' order.
    order = sorted(range(len(shares)), key=lambda index: shares[index][2], reverse=True)
    extra = set(order[:left])
    return {
        key: Decimal(floor + (1 if index in extra else 0)).scaleb(-exponent)
        for index, (key, floor, _) in enumerate(shares)
    }


def _given_split(
    amount: Decimal,
    split: Mapping[tuple[VatCategory, Decimal], Decimal],
    group_nets: dict[tuple[VatCategory, Decimal], Decimal],
    currency: str,
) -> dict[tuple[VatCategory, Decimal], Decimal]:
    parts: dict[tuple[VatCategory, Decimal], Decimal] = {}
    for (category, rate), part in split.items():
        key = (category, normalize_rate(rate))
        value = round_money(part, currency)
        if value < 0 or key not in group_nets or value > group_nets[key]:
            raise TotalsError(
                f"discount part {value} of VAT group {category.value} {key[1]} does not fit "
                "the group's lines"
            )
        if value:
            parts[key] = parts.get(key, ZERO) + value
    if sum(parts.values(), ZERO) != amount:
        raise TotalsError(f"discount parts add up to {sum(parts.values(), ZERO)}, not {amount}")
    return parts


def _as_allowances(
    parts: dict[tuple[VatCategory, Decimal], Decimal],
) -> tuple[GroupAllowance, ...]:
    return tuple(
        GroupAllowance(amount=amount, category=category, rate=rate)
        for (category, rate), amount in parts.items()
        if amount != 0
    )
