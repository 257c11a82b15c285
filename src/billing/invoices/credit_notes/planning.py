"""What remains creditable on an invoice, and what a credit note contains.

What remains is measured three ways, and a credit note may exceed none of them:

* per invoice line: the quantity and the net not yet credited (a credit by lines);
* per VAT group (category, rate): the taxable amount (BT-116) not yet credited;
* in total: the invoice's total less the totals of its credit notes.

Every credit note is an EN 16931 document of its own, so its VAT is computed on its own
taxable amounts (BR-CO-17). Partial credit notes therefore need not add up to the invoice's VAT
to the cent; the checks above make sure they never add up to more. A full credit note of an
invoice without earlier credit notes reproduces the invoice line for line, with its document
discount, so its totals equal the invoice's exactly. After partial credit notes, "everything
that remains" is credited per VAT group (the remaining taxable amount of each), lowered by a
minor unit where per-document rounding would otherwise credit more than the remaining total.

A credit by lines carries, per VAT group, its share of that group's part of the invoice's
document discount (in proportion to the credited nets; the credit that takes a group's last
lines takes what is left of it), written as one allowance per VAT group (BG-20), so the taxable
amounts it credits are exactly those the invoice charged. A line credited in part is priced at
the invoice's unit price; the last part of a line credits exactly the net that is left of it,
at a unit price derived from that net when the rounding of the earlier parts requires it (so
quantity x price still equals the line net, PEPPOL-EN16931-R120). When per-document VAT
rounding would make such a credit note total a minor unit more than what remains, the net of
its largest line in the highest-rate group is lowered by that unit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from billing.core.money import (
    ZERO,
    display_decimal,
    from_minor_units,
    round_money,
    to_minor_units,
)
from billing.core.totals import (
    TaxableLine,
    Totals,
    TotalsError,
    VatCategory,
    compute_totals,
    group_tax,
    line_net,
    normalize_rate,
)
from billing.invoices.credit_notes.errors import (
    CreditAmountUnreachable,
    CreditExceedsRemaining,
    CreditNoteInvalid,
    NothingToCredit,
)
from billing.invoices.schemas import CreditNoteKind
from billing.models.credit_note import CreditNote, CreditNoteLine
from billing.models.invoice import Invoice, InvoiceLine

GroupKey = tuple[VatCategory, Decimal]
PRICE_QUANTUM = Decimal("0.000001")
"""Unit prices are stored with 6 decimals (``invoice_lines.unit_price``)."""
MAX_ROUNDING_STEPS = 100


@dataclass(frozen=True, slots=True)
class PlannedLine:
    """One line of a credit note to be issued."""

    invoice_line_id: uuid.UUID | None
    name: str
    description: str | None
    sku: str | None
    quantity: Decimal
    unit_code: str
    unit_price: Decimal
    tax_rate: Decimal
    tax_category: VatCategory
    exemption_code: str | None
    exemption_reason: str | None


@dataclass(frozen=True, slots=True)
class Creditable:
    """What is left to credit on an invoice: per line (quantity, net before discount), per
    VAT group (taxable amount, part of the document discount) and in total."""

    currency: str
    quantities: Mapping[uuid.UUID, Decimal]
    nets: Mapping[uuid.UUID, Decimal]
    allowances: Mapping[GroupKey, Decimal]
    groups: Mapping[GroupKey, Decimal]
    gross: Decimal
    credited: bool

    @property
    def exhausted(self) -> bool:
        """Nothing is left: every VAT group, or the total, is fully credited."""
        return self.gross <= 0 or all(amount <= 0 for amount in self.groups.values())


@dataclass(frozen=True, slots=True)
class CreditPlan:
    """The content of a credit note: its lines, its discount per VAT group, and totals."""

    kind: CreditNoteKind
    lines: tuple[PlannedLine, ...]
    discount_split: Mapping[GroupKey, Decimal]
    totals: Totals

    @property
    def discount(self) -> Decimal:
        """The document discount (BT-107)."""
        return self.totals.allowance_total


def _key(category: str | VatCategory, rate: Decimal) -> GroupKey:
    return VatCategory(category), normalize_rate(rate)


AnyLine = InvoiceLine | CreditNoteLine | PlannedLine


def _taxable(lines: Iterable[AnyLine]) -> list[TaxableLine]:
    return [
        TaxableLine(
            quantity=line.quantity,
            unit_price=line.unit_price,
            category=VatCategory(line.tax_category),
            rate=line.tax_rate,
        )
        for line in lines
    ]


def _totals(
    lines: Sequence[AnyLine],
    currency: str,
    split: Mapping[GroupKey, Decimal] | None = None,
) -> Totals:
    """Totals of credit note lines with a discount given per VAT group."""
    parts = {key: amount for key, amount in (split or {}).items() if amount}
    try:
        return compute_totals(
            _taxable(lines),
            currency=currency,
            discount=sum(parts.values(), ZERO),
            discount_split=parts or None,
        )
    except TotalsError as exc:
        raise CreditNoteInvalid(str(exc)) from exc


def invoice_totals(invoice: Invoice) -> Totals:
    """The invoice's own totals (its discount split in proportion, as it was issued)."""
    try:
        return compute_totals(
            _taxable(invoice.items), currency=invoice.currency, discount=invoice.discount_amount
        )
    except TotalsError as exc:
        raise CreditNoteInvalid(str(exc)) from exc


def invoice_groups(invoice: Invoice) -> dict[GroupKey, Decimal]:
    """The taxable amount of each VAT group of the invoice."""
    totals = invoice_totals(invoice)
    return {(group.category, group.rate): group.taxable_amount for group in totals.groups}


def note_totals(credit_note: CreditNote) -> Totals:
    """The totals of a stored credit note (lines loaded), from its own discount split."""
    return _totals(credit_note.items, credit_note.currency, credit_note.discount_parts())


def split_json(split: Mapping[GroupKey, Decimal]) -> list[dict[str, str]]:
    """A discount split as stored on a credit note."""
    return [
        {"category": category.value, "rate": str(rate), "amount": str(amount)}
        for (category, rate), amount in split.items()
        if amount
    ]


def remaining(invoice: Invoice, credit_notes: Sequence[CreditNote]) -> Creditable:
    """What ``credit_notes`` (with their lines loaded) left creditable on ``invoice``."""
    currency = invoice.currency
    quantities = {line.id: line.quantity for line in invoice.items}
    nets = {line.id: round_money(line.line_total, currency) for line in invoice.items}
    totals = invoice_totals(invoice)
    groups = {(group.category, group.rate): group.taxable_amount for group in totals.groups}
    allowances = {(part.category, part.rate): part.amount for part in totals.allowances}
    gross = round_money(invoice.total_amount, currency)
    for credit_note in credit_notes:
        for line in credit_note.items:
            if line.invoice_line_id in quantities:
                quantities[line.invoice_line_id] -= line.quantity
                nets[line.invoice_line_id] -= round_money(line.line_total, currency)
        credited = note_totals(credit_note)
        for group in credited.groups:
            key = (group.category, group.rate)
            groups[key] = groups.get(key, ZERO) - group.taxable_amount
        for part in credited.allowances:
            key = (part.category, part.rate)
            allowances[key] = allowances.get(key, ZERO) - part.amount
        gross -= round_money(credit_note.total_amount, currency)
    return Creditable(
        currency=currency,
        quantities=quantities,
        nets=nets,
        allowances=allowances,
        groups=groups,
        gross=gross,
        credited=bool(credit_notes),
    )


def check(plan: CreditPlan, creditable: Creditable) -> None:
    """Refuse a plan that credits nothing, or more than remains of a VAT group or the total."""
    currency = creditable.currency
    if plan.totals.tax_inclusive <= 0:
        raise CreditNoteInvalid("A credit note must credit more than 0.")
    for group in plan.totals.groups:
        left = creditable.groups.get((group.category, group.rate), ZERO)
        if group.taxable_amount > left:
            raise CreditExceedsRemaining(
                f"At most {max(left, ZERO)} {currency} net remains creditable in VAT group "
                f"{group.category.value} {group.rate} %; this credit note would credit "
                f"{group.taxable_amount}.",
                details=[
                    {
                        "tax_category": group.category.value,
                        "tax_rate": str(group.rate),
                        "remaining": str(max(left, ZERO)),
                        "requested": str(group.taxable_amount),
                    }
                ],
            )
    if plan.totals.tax_inclusive > creditable.gross:
        raise CreditExceedsRemaining(
            f"At most {max(creditable.gross, ZERO)} {currency} remains creditable on this "
            f"invoice; this credit note would total {plan.totals.tax_inclusive}.",
            details=[
                {
                    "remaining": str(max(creditable.gross, ZERO)),
                    "requested": str(plan.totals.tax_inclusive),
                }
            ],
        )


def plan_full(invoice: Invoice, creditable: Creditable) -> CreditPlan:
    """Everything that remains: the invoice itself, or the rest of each VAT group."""
    if creditable.exhausted:
        raise NothingToCredit
    if not creditable.credited:
        lines = tuple(_mirror(line) for line in invoice.items)
        split = {(p.category, p.rate): p.amount for p in invoice_totals(invoice).allowances}
        plan = CreditPlan(
            CreditNoteKind.FULL, lines, split, _totals(lines, invoice.currency, split)
        )
    else:
        plan = _remainder(invoice, creditable)
    check(plan, creditable)
    return plan


def plan_lines(
    invoice: Invoice, creditable: Creditable, requests: Sequence[tuple[uuid.UUID, Decimal]]
) -> CreditPlan:
    """Quantities of invoice lines, each VAT group with its share of the document discount."""
    if creditable.exhausted:
        raise NothingToCredit
    currency = invoice.currency
    by_id = {line.id: line for line in invoice.items}
    planned: list[PlannedLine] = []
    requested: dict[uuid.UUID, Decimal] = {}
    for line_id, quantity in requests:
        line = by_id.get(line_id)
        if line is None:
            raise CreditNoteInvalid(
                f"Invoice {invoice.invoice_number} has no line {line_id}.",
                details=[{"field": "lines.invoice_item_id", "value": str(line_id)}],
            )
        left = creditable.quantities[line.id]
        if quantity > left:
            raise CreditExceedsRemaining(
                f"Line {line.position} ({line.name}): {display_decimal(max(left, ZERO))} remains "
                f"creditable, {display_decimal(quantity)} was asked.",
                details=[
                    {
                        "invoice_item_id": str(line.id),
                        "remaining": str(display_decimal(max(left, ZERO))),
                        "requested": str(display_decimal(quantity)),
                    }
                ],
            )
        net_left = creditable.nets[line.id]
        if quantity == left:
            net = net_left
        else:
            net = min(line_net(quantity, line.unit_price, currency), net_left)
        requested[line.id] = quantity
        planned.append(_credited(line, quantity, _price_for(line, quantity, net, currency)))
    split = _discount_split(invoice, creditable, planned, requested)
    lines = _fit_total(planned, split, creditable, currency)
    plan = CreditPlan(CreditNoteKind.LINES, lines, split, _totals(lines, currency, split))
    check(plan, creditable)
    return plan


def plan_amounts(
    invoice: Invoice,
    creditable: Creditable,
    requests: Sequence[tuple[VatCategory, Decimal, Decimal]],
) -> CreditPlan:
    """Net amounts of VAT groups; VAT is added on top."""
    if creditable.exhausted:
        raise NothingToCredit
    currency = invoice.currency
    groups = invoice_groups(invoice)
    planned: list[PlannedLine] = []
    for category, rate, amount in requests:
        key = _key(category, rate)
        if key not in groups:
            known = ", ".join(f"{c.value} {r} %" for c, r in groups)
            raise CreditNoteInvalid(
                f"Invoice {invoice.invoice_number} has no VAT group {category.value} "
                f"{key[1]} % (it has {known}).",
                details=[{"field": "amounts.tax_rate", "value": f"{category.value} {key[1]}"}],
            )
        if round_money(amount, currency) != amount:
            raise CreditNoteInvalid(
                f"The amount {amount} has more decimals than {currency} allows.",
                details=[{"field": "amounts.amount", "value": str(amount)}],
            )
        planned.append(_amount_line(invoice, key, amount, "Credited amount"))
    lines = tuple(planned)
    plan = CreditPlan(CreditNoteKind.AMOUNTS, lines, {}, _totals(lines, currency))
    check(plan, creditable)
    return plan


def plan_gross(invoice: Invoice, creditable: Creditable, amount: Decimal) -> CreditPlan:
    """A credit note totalling exactly ``amount`` (a refund's share of the invoice).

    Everything that remains when ``amount`` is all of it; otherwise the remaining taxable
    amounts of the VAT groups, in proportion, with their VAT, adjusted by minor units until
    the total is exact.

    Raises:
        CreditAmountUnreachable: VAT rounding makes ``amount`` impossible as a total (the
            message names the nearest totals that are possible).
    """
    if creditable.exhausted:
        raise NothingToCredit
    currency = invoice.currency
    if amount > creditable.gross:
        raise CreditExceedsRemaining(
            f"At most {creditable.gross} {currency} remains creditable on this invoice; "
            f"{amount} was asked."
        )
    if amount == creditable.gross:
        full = plan_full(invoice, creditable)
        if full.totals.tax_inclusive == amount:
            return full
    groups = [(key, left) for key, left in creditable.groups.items() if left > 0]
    taxables = _split_gross(groups, to_minor_units(amount, currency), currency)
    if taxables is None:
        nearest = _nearest(groups, to_minor_units(amount, currency), currency)
        raise CreditAmountUnreachable(
            f"No credit note can total exactly {amount} {currency}: VAT is rounded per VAT "
            f"group. The nearest possible totals are {' and '.join(map(str, nearest))}.",
            details=[{"requested": str(amount), "nearest": [str(value) for value in nearest]}],
        )
    lines = tuple(
        _amount_line(invoice, key, from_minor_units(units, currency), "Credited amount")
        for (key, _), units in zip(groups, taxables, strict=True)
        if units > 0
    )
    plan = CreditPlan(CreditNoteKind.AMOUNTS, lines, {}, _totals(lines, currency))
    check(plan, creditable)
    return plan


# -- building blocks ------------------------------------------------------------------------


def _mirror(line: InvoiceLine) -> PlannedLine:
    return _credited(line, line.quantity, line.unit_price)


def _credited(line: InvoiceLine, quantity: Decimal, unit_price: Decimal) -> PlannedLine:
    return PlannedLine(
        invoice_line_id=line.id,
        name=line.name,
        description=line.description,
        sku=line.sku,
        quantity=quantity,
        unit_code=line.unit_code,
        unit_price=unit_price,
        tax_rate=line.tax_rate,
        tax_category=VatCategory(line.tax_category),
        exemption_code=line.tax_exemption_reason_code,
        exemption_reason=line.tax_exemption_reason,
    )


def _derived_price(net: Decimal, quantity: Decimal, currency: str) -> Decimal | None:
    """A unit price (6 decimals) with ``quantity`` x price = ``net``, if there is one."""
    estimate = (net / quantity).quantize(PRICE_QUANTUM, rounding=ROUND_HALF_UP)
    for candidate in (estimate, estimate - PRICE_QUANTUM, estimate + PRICE_QUANTUM):
        if candidate >= 0 and line_net(quantity, candidate, currency) == net:
            return candidate
    return None


def _price_for(line: InvoiceLine, quantity: Decimal, net: Decimal, currency: str) -> Decimal:
    """The invoice's unit price if it gives ``net``, else a price derived from ``net``."""
    if line_net(quantity, line.unit_price, currency) == net:
        return line.unit_price
    derived = _derived_price(net, quantity, currency)
    if derived is not None:
        return derived
    raise CreditNoteInvalid(
        f"Line {line.position} ({line.name}): the {net} {currency} left of it cannot be "
        f"credited as {display_decimal(quantity)} units; credit it by amount instead."
    )


def _discount_split(
    invoice: Invoice,
    creditable: Creditable,
    lines: Sequence[PlannedLine],
    requested: Mapping[uuid.UUID, Decimal],
) -> dict[GroupKey, Decimal]:
    """Each VAT group's share of its part of the invoice's discount.

    In proportion to the credited nets of the group; the credit that takes every line of a
    group still left takes whatever is left of the group's part.
    """
    currency = invoice.currency
    totals = invoice_totals(invoice)
    split: dict[GroupKey, Decimal] = {}
    for group in totals.groups:
        key = (group.category, group.rate)
        left = creditable.allowances.get(key, ZERO)
        members = [line for line in lines if _key(line.tax_category, line.tax_rate) == key]
        if left <= 0 or not members:
            continue
        nets = sum((line_net(m.quantity, m.unit_price, currency) for m in members), ZERO)
        rest = [
            line
            for line in invoice.items
            if _key(line.tax_category, line.tax_rate) == key
            and creditable.quantities[line.id] > requested.get(line.id, ZERO)
        ]
        if not rest:
            share = left
        elif group.line_net_total > 0:
            share = round_money(group.allowance_total * nets / group.line_net_total, currency)
        else:
            share = ZERO
        split[key] = max(min(share, left, nets), ZERO)
    return split


def _fit_total(
    lines: Sequence[PlannedLine],
    split: Mapping[GroupKey, Decimal],
    creditable: Creditable,
    currency: str,
) -> tuple[PlannedLine, ...]:
    """Lower the largest line of the highest-rate group by a minor unit while per-document VAT
    rounding would make the credit note total more than what remains (at most a few units)."""
    fitted = list(lines)
    step = from_minor_units(1, currency)
    for _ in range(len({_key(line.tax_category, line.tax_rate) for line in lines}) * 2):
        totals = _totals(fitted, currency, split)
        if totals.tax_inclusive <= creditable.gross:
            break
        index = max(
            range(len(fitted)),
            key=lambda i: (
                normalize_rate(fitted[i].tax_rate),
                line_net(fitted[i].quantity, fitted[i].unit_price, currency),
            ),
        )
        line = fitted[index]
        net = line_net(line.quantity, line.unit_price, currency) - step
        key = _key(line.tax_category, line.tax_rate)
        others = sum(
            (
                line_net(other.quantity, other.unit_price, currency)
                for position, other in enumerate(fitted)
                if position != index and _key(other.tax_category, other.tax_rate) == key
            ),
            ZERO,
        )
        if net <= 0 or net + others < split.get(key, ZERO):
            break
        price = _derived_price(net, line.quantity, currency)
        if price is None:
            break
        fitted[index] = replace(line, unit_price=price)
    return tuple(fitted)


def _group_exemption(invoice: Invoice, key: GroupKey) -> tuple[str | None, str | None]:
    members = [line for line in invoice.items if _key(line.tax_category, line.tax_rate) == key]
    code = next((m.tax_exemption_reason_code for m in members if m.tax_exemption_reason_code), None)
    reason = next((m.tax_exemption_reason for m in members if m.tax_exemption_reason), None)
    return code, reason


def _amount_line(invoice: Invoice, key: GroupKey, amount: Decimal, name: str) -> PlannedLine:
    category, rate = key
    code, reason = _group_exemption(invoice, key)
    return PlannedLine(
        invoice_line_id=None,
        name=name,
        description=f"Invoice {invoice.invoice_number}, VAT {category.value} {rate} %",
        sku=None,
        quantity=Decimal(1),
        unit_code="C62",
        unit_price=amount,
        tax_rate=rate,
        tax_category=category,
        exemption_code=code,
        exemption_reason=reason,
    )


def _remainder(invoice: Invoice, creditable: Creditable) -> CreditPlan:
    """What is left of each VAT group, lowered where VAT rounding would exceed the total."""
    currency = invoice.currency
    step = from_minor_units(1, currency)
    amounts = {key: left for key, left in creditable.groups.items() if left > 0}
    for _ in range(MAX_ROUNDING_STEPS):
        lines = tuple(
            _amount_line(invoice, key, amount, "Remaining amount")
            for key, amount in amounts.items()
            if amount > 0
        )
        if not lines:
            raise NothingToCredit
        totals = _totals(lines, currency)
        if totals.tax_inclusive <= creditable.gross:
            return CreditPlan(CreditNoteKind.FULL, lines, {}, totals)
        # Each group's VAT was rounded on its own; take a minor unit off the group with the
        # highest rate (the one whose rounding can be worth most) and try again.
        key = max((k for k, amount in amounts.items() if amount > 0), key=lambda k: k[1])
        amounts[key] -= step
    raise NothingToCredit  # pragma: no cover - each step lowers the total by a minor unit


def _gross_units(taxable_units: int, rate: Decimal, currency: str) -> int:
    taxable = from_minor_units(taxable_units, currency)
    return taxable_units + to_minor_units(group_tax(taxable, rate, currency), currency)


def _taxable_for(target: int, rate: Decimal, cap: int, currency: str) -> int | None:
    """The taxable amount (minor units, at most ``cap``) whose gross is exactly ``target``.

    Gross (taxable plus its rounded VAT) strictly increases with the taxable amount, so a
    binary search finds the only candidate.
    """
    if target < 0:
        return None
    low, high = 0, cap
    while low < high:
        middle = (low + high) // 2
        if _gross_units(middle, rate, currency) < target:
            low = middle + 1
        else:
            high = middle
    return low if _gross_units(low, rate, currency) == target else None


def _split_gross(
    groups: Sequence[tuple[GroupKey, Decimal]], target: int, currency: str
) -> list[int] | None:
    """Taxable amounts per group (minor units, within what remains) totalling ``target``."""
    if not groups:
        return None
    caps = [to_minor_units(left, currency) for _, left in groups]
    rates = [key[1] for key, _ in groups]
    gross_caps = [_gross_units(cap, rate, currency) for cap, rate in zip(caps, rates, strict=True)]
    if target > sum(gross_caps) or target <= 0:
        return None
    weight = sum(gross_caps)
    shares = [
        int((Decimal(target) * cap / weight).to_integral_value(rounding=ROUND_DOWN))
        for cap in gross_caps
    ]
    shares[-1] = target - sum(shares[:-1])
    taxables: list[int] = []
    carry = 0
    for index, (share, cap, rate) in enumerate(zip(shares, caps, rates, strict=True)):
        wanted = min(share + carry, gross_caps[index])
        if index == len(groups) - 1:
            exact = _taxable_for(share + carry, rate, cap, currency)
            if exact is not None:
                return [*taxables, exact]
            return _adjust(taxables, share + carry, caps, rates, currency)
        taxable = _largest_within(wanted, rate, cap, currency)
        taxables.append(taxable)
        carry = share + carry - _gross_units(taxable, rate, currency)
    return None  # pragma: no cover - the loop returns at the last group


def _largest_within(target: int, rate: Decimal, cap: int, currency: str) -> int:
    """The largest taxable amount (minor units, at most ``cap``) whose gross is <= target."""
    low, high = 0, cap
    while low < high:
        middle = (low + high + 1) // 2
        if _gross_units(middle, rate, currency) <= target:
            low = middle
        else:
            high = middle - 1
    return low


def _adjust(
    taxables: list[int], last_target: int, caps: list[int], rates: list[Decimal], currency: str
) -> list[int] | None:
    """Move a minor unit of taxable amount between an earlier group and the last one."""
    last = len(caps) - 1
    for index in reversed(range(len(taxables))):
        for delta in (1, -1):
            changed = taxables[index] + delta
            if not 0 <= changed <= caps[index]:
                continue
            before = _gross_units(taxables[index], rates[index], currency)
            after = _gross_units(changed, rates[index], currency)
            exact = _taxable_for(last_target - (after - before), rates[last], caps[last], currency)
            if exact is not None:
                adjusted = list(taxables)
                adjusted[index] = changed
                return [*adjusted, exact]
    return None


def _nearest(
    groups: Sequence[tuple[GroupKey, Decimal]], target: int, currency: str
) -> list[Decimal]:
    """The closest totals below and above ``target`` that a credit note can have."""
    found: list[Decimal] = []
    for direction in (-1, 1):
        for distance in range(1, 10):
            candidate = target + direction * distance
            if candidate > 0 and _split_gross(groups, candidate, currency) is not None:
                found.append(from_minor_units(candidate, currency))
                break
    return found


def after(creditable: Creditable, plan: CreditPlan) -> Creditable:
    """What remains once ``plan`` is issued."""
    currency = creditable.currency
    quantities = dict(creditable.quantities)
    nets = dict(creditable.nets)
    for line in plan.lines:
        if line.invoice_line_id is not None and line.invoice_line_id in quantities:
            quantities[line.invoice_line_id] -= line.quantity
            nets[line.invoice_line_id] -= line_net(line.quantity, line.unit_price, currency)
    groups = dict(creditable.groups)
    for group in plan.totals.groups:
        key = (group.category, group.rate)
        groups[key] = groups.get(key, ZERO) - group.taxable_amount
    allowances = dict(creditable.allowances)
    for part in plan.totals.allowances:
        key = (part.category, part.rate)
        allowances[key] = allowances.get(key, ZERO) - part.amount
    return Creditable(
        currency=currency,
        quantities=quantities,
        nets=nets,
        allowances=allowances,
        groups=groups,
        gross=creditable.gross - plan.totals.tax_inclusive,
        credited=True,
    )
