"""The schedule of a billing period and what it has cost so far.

A period's *segments* say which price and quantity each item ran with on which days; its
*charges* are what was billed for it. Every event (a renewal, a change, a pause, a resume, a
cancellation) rewrites the segments from its date on and bills the difference, so the charges
of a period always add up to the rounded day-weighted value of its segments.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.tenancy import AccessScope
from billing.models.catalog import BillingTiming
from billing.models.subscription import (
    Subscription,
    SubscriptionCharge,
    SubscriptionItem,
    SubscriptionSegment,
)
from billing.subscriptions.ledger import (
    ZERO,
    Catalog,
    Draft,
    adjustment_drafts,
    load_catalog,
    per_period,
    renewal_draft,
    runs_of,
)
from billing.subscriptions.proration import Adjustment, Run, adjust, exact, round_half_up
from billing.subscriptions.repository import ChargeRepository, SegmentRepository
from billing.subscriptions.schedule import Cadence, Period


def in_advance(subscription: Subscription) -> bool:
    """True when periods are billed at their start."""
    return BillingTiming(subscription.billing_timing) is BillingTiming.IN_ADVANCE


def cadence(subscription: Subscription) -> Cadence:
    """The subscription's period boundaries."""
    return Cadence(
        interval=subscription.interval,
        count=subscription.interval_count,
        anchor=subscription.billing_anchor,
        anchor_day=subscription.billing_anchor_day,
    )


def anchored(subscription: Subscription, day: date) -> Period:
    """The anchored billing period containing ``day``."""
    return cadence(subscription).period_containing(day)


@dataclass(slots=True)
class PeriodState:
    """One period of one subscription: its segments and charges, loaded."""

    period: Period
    segments: list[SubscriptionSegment]
    charges: list[SubscriptionCharge]

    def item_segments(self, item_id: uuid.UUID) -> list[SubscriptionSegment]:
        """Segments of one item, in day order."""
        return sorted(
            (s for s in self.segments if s.item_id == item_id and s.end_date > s.start_date),
            key=lambda s: s.start_date,
        )

    def billed(self, item_id: uuid.UUID) -> Decimal:
        """What was billed for an item's period so far (pending, invoiced or credited)."""
        return sum((c.amount for c in self.charges if c.item_id == item_id), ZERO)

    def price_ids(self) -> set[uuid.UUID]:
        """The prices the period's segments and charges were billed at."""
        return {s.price_id for s in self.segments} | {c.price_id for c in self.charges}

    def item_ids(self) -> list[uuid.UUID]:
        """Items with segments or charges in the period, in first-seen order."""
        seen: dict[uuid.UUID, None] = {}
        for segment in sorted(self.segments, key=lambda s: (s.start_date, s.created_at)):
            seen.setdefault(segment.item_id, None)
        for charge in self.charges:
            seen.setdefault(charge.item_id, None)
        return list(seen)

    def covered_until(self, item_id: uuid.UUID) -> date | None:
        """The last day (exclusive) an item's segments reach, or None without segments."""
        ends = [s.end_date for s in self.item_segments(item_id)]
        return max(ends) if ends else None


async def load_period(
    session: AsyncSession, scope: AccessScope, subscription: Subscription, period: Period
) -> PeriodState:
    """The segments and charges of one anchored period."""
    segments = await SegmentRepository(session, scope).for_period(subscription.id, period.start)
    charges = await ChargeRepository(session, scope).for_period(subscription.id, period.start)
    return PeriodState(period=period, segments=list(segments), charges=list(charges))


async def load_period_catalog(
    session: AsyncSession, subscription: Subscription, state: PeriodState
) -> Catalog:
    """The prices of the subscription's items and those the period was billed at."""
    return await load_catalog(
        session, {item.price_id for item in subscription.items} | state.price_ids()
    )


def _segment(
    subscription: Subscription,
    item_id: uuid.UUID,
    period: Period,
    start: date,
    end: date,
    price_id: uuid.UUID,
    quantity: Decimal,
) -> SubscriptionSegment:
    return SubscriptionSegment(
        id=uuid.uuid4(),
        tenant_id=subscription.tenant_id,
        subscription_id=subscription.id,
        item_id=item_id,
        period_start=period.start,
        period_end=period.end,
        start_date=start,
        end_date=end,
        price_id=price_id,
        quantity=quantity,
    )


def open_segments(
    subscription: Subscription, state: PeriodState, start: date, items: Sequence[SubscriptionItem]
) -> list[SubscriptionSegment]:
    """Run ``items`` from ``start`` to the end of the period (only days not yet covered)."""
    added = []
    for item in items:
        covered = state.covered_until(item.id)
        begin = max(start, state.period.start, covered or start)
        if begin >= state.period.end:
            continue
        segment = _segment(
            subscription,
            item.id,
            state.period,
            begin,
            state.period.end,
            item.price_id,
            item.quantity,
        )
        state.segments.append(segment)
        added.append(segment)
    return added


def end_segments(state: PeriodState, item_id: uuid.UUID | None, on: date) -> None:
    """Stop an item (every item with ``None``) on ``on``: its days from then on cost nothing."""
    for segment in state.segments:
        if item_id is not None and segment.item_id != item_id:
            continue
        if segment.end_date > on:
            segment.end_date = max(segment.start_date, on)


def runs_after(
    state: PeriodState,
    item_id: uuid.UUID,
    on: date,
    catalog: Catalog,
    replacement: Run | None,
) -> tuple[list[Run], list[Run]]:
    """An item's runs before an event on ``on``, and after it (cut at ``on``, then
    ``replacement`` for the rest of the period)."""
    before = runs_of(state.item_segments(item_id), catalog)
    after = [
        Run(run.start, min(run.end, on), run.per_period, run.quantity)
        for run in before
        if run.start < on
    ]
    if replacement is not None:
        after.append(replacement)
    return before, after


def settle_renewals(
    subscription: Subscription,
    state: PeriodState,
    catalog: Catalog,
    *,
    until: date | None = None,
    always: bool = False,
) -> list[Draft]:
    """What is still due for each item of the period (``until``: only its days before)."""
    drafts = []
    for item_id in state.item_ids():
        segments = state.item_segments(item_id)
        runs = runs_of(segments, catalog)
        charged = next((c.price_id for c in state.charges if c.item_id == item_id), None)
        if not segments and charged is None:
            # Ended the day it began (cancelled or paused on its first day): no day was used
            # and nothing was billed, so nothing is due.
            continue
        price_id = segments[-1].price_id if segments else charged
        assert price_id is not None
        draft = renewal_draft(
            item_id=item_id,
            runs=runs,
            period=state.period,
            billed=state.billed(item_id),
            catalog=catalog,
            price_id=price_id,
            currency=subscription.currency,
            until=until,
            always=always and bool(segments),
        )
        if draft is not None:
            drafts.append(draft)
    return drafts


@dataclass(frozen=True, slots=True)
class ItemChange:
    """The effect of changing one item on ``on``: the quote and the charges it makes."""

    adjustment: Adjustment
    drafts: list[Draft]
    old_price_id: uuid.UUID
    old_quantity: Decimal


def change_item(
    subscription: Subscription,
    state: PeriodState,
    catalog: Catalog,
    *,
    item: SubscriptionItem,
    on: date,
    new_price_id: uuid.UUID | None,
    new_quantity: Decimal | None,
    in_advance: bool,
    write: bool,
) -> ItemChange:
    """Move an item to a new price/quantity (None: stop it) from ``on`` to the period end.

    In advance the period was billed already: the credit is what was billed beyond the days
    used. In arrears nothing was billed: the quote says by how much the period-end invoice
    changes, and no charge is made now. ``write`` rewrites the segments (a quote does not).
    """
    segments = state.item_segments(item.id)
    old_price_id = segments[-1].price_id if segments else item.price_id
    old_quantity = segments[-1].quantity if segments else item.quantity
    replacement = None
    if new_price_id is not None and new_quantity is not None and on < state.period.end:
        replacement = Run(
            on,
            state.period.end,
            _per_period(catalog, new_price_id, new_quantity),
            new_quantity,
        )
    before, after = runs_after(state, item.id, on, catalog, replacement)
    billed = (
        state.billed(item.id)
        if in_advance
        else round_half_up(exact(before, state.period), subscription.currency)
    )
    adjustment = adjust(
        period=state.period,
        on=on,
        before=before,
        after=after,
        billed=billed,
        currency=subscription.currency,
    )
    drafts = (
        adjustment_drafts(
            adjustment,
            item_id=item.id,
            period=state.period,
            old_price_id=old_price_id,
            new_price_id=new_price_id,
            catalog=catalog,
        )
        if in_advance
        else []
    )
    if write:
        end_segments(state, item.id, on)
        if replacement is not None and new_price_id is not None and new_quantity is not None:
            state.segments.append(
                _segment(
                    subscription,
                    item.id,
                    state.period,
                    on,
                    state.period.end,
                    new_price_id,
                    new_quantity,
                )
            )
    return ItemChange(adjustment, drafts, old_price_id, old_quantity)


def _per_period(catalog: Catalog, price_id: uuid.UUID, quantity: Decimal) -> Decimal:
    return per_period(catalog.price(price_id), quantity)
