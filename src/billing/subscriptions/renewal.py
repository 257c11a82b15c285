"""Advancing a subscription across a period boundary: the step the billing cycle repeats.

``advance_once`` takes the subscription's row lock without waiting (``SKIP LOCKED``: another
worker, or a request changing it, has it), re-checks that its period really ended, and moves it
one period on, billing what that boundary bills, all in the caller's transaction. Whoever runs
it, and however often, a period is billed once: the lock serialises the advance, the period
moves forward in the same commit, and a renewal invoice is unique per subscription and period
in the database.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import utcnow
from billing.core.tenancy import AccessScope
from billing.models.subscription import (
    RENEWING_STATUSES,
    Subscription,
    SubscriptionInvoiceKind,
    SubscriptionStatus,
)
from billing.settings.schemas import OperatorSettings
from billing.subscriptions.events import emit_changes, snapshot
from billing.subscriptions.invoicing import Settled, settle_pending
from billing.subscriptions.ledger import Catalog, load_catalog
from billing.subscriptions.periods import (
    PeriodState,
    anchored,
    load_period,
    load_period_catalog,
    open_segments,
    settle_renewals,
)
from billing.subscriptions.periods import in_advance as in_advance  # its home before periods
from billing.subscriptions.repository import ChargeRepository, SubscriptionRepository
from billing.subscriptions.usage import renewal_due


class Advance(StrEnum):
    """What one advance step found."""

    ADVANCED = "advanced"  # one period on, and still due (another step follows)
    CAUGHT_UP = "caught_up"  # one period on, and now current
    NOT_DUE = "not_due"
    BUSY = "busy"  # locked by another transaction, or gone


async def advance_once(
    session: AsyncSession,
    scope: AccessScope,
    subscription_id: uuid.UUID,
    *,
    today: date,
    settings: OperatorSettings,
) -> Advance:
    """Move one due subscription one period on (see the module docstring)."""
    subscription = await SubscriptionRepository(session, scope).get(
        subscription_id, for_update=True, skip_locked=True
    )
    if subscription is None:
        return Advance.BUSY
    if (
        SubscriptionStatus(subscription.status) not in RENEWING_STATUSES
        or subscription.current_period_end > today
    ):
        return Advance.NOT_DUE
    if not await renewal_due(session, subscription, settings):
        # The period's usage may still arrive within the grace period.
        return Advance.NOT_DUE
    await roll(session, scope, subscription, today=today, settings=settings, defer_collection=False)
    if (
        SubscriptionStatus(subscription.status) in RENEWING_STATUSES
        and subscription.current_period_end <= today
    ):
        return Advance.ADVANCED
    return Advance.CAUGHT_UP


async def catch_up(
    session: AsyncSession,
    scope: AccessScope,
    subscription: Subscription,
    *,
    today: date,
    settings: OperatorSettings,
) -> None:
    """Advance a locked subscription until its current period contains ``today``."""
    while (
        SubscriptionStatus(subscription.status) in RENEWING_STATUSES
        and subscription.current_period_end <= today
    ):
        await roll(
            session, scope, subscription, today=today, settings=settings, defer_collection=True
        )


async def roll(
    session: AsyncSession,
    scope: AccessScope,
    subscription: Subscription,
    *,
    today: date,
    settings: OperatorSettings,
    defer_collection: bool,
) -> None:
    """Cross the boundary at ``current_period_end``: end a trial, bill a period in arrears,
    end the subscription when asked to, start the next period and bill it in advance; then
    emit what changed (renewed, active after a trial, cancelled at the period end)."""
    before = snapshot(subscription)
    await _roll(
        session,
        scope,
        subscription,
        today=today,
        settings=settings,
        defer_collection=defer_collection,
    )
    await emit_changes(session, subscription, before)


async def _roll(
    session: AsyncSession,
    scope: AccessScope,
    subscription: Subscription,
    *,
    today: date,
    settings: OperatorSettings,
    defer_collection: bool,
) -> None:
    boundary = subscription.current_period_end
    if SubscriptionStatus(subscription.status) is SubscriptionStatus.TRIALING:
        if subscription.cancel_at_period_end:
            end(subscription, on=boundary, reason="cancel_at_period_end")
            return
        subscription.status = SubscriptionStatus.ACTIVE
        await begin_period(
            session,
            scope,
            subscription,
            start=boundary,
            bill=in_advance(subscription),
            settings=settings,
            today=today,
            defer_collection=defer_collection,
        )
        return
    if not in_advance(subscription):
        await bill_arrears(
            session,
            scope,
            subscription,
            settings=settings,
            today=today,
            defer_collection=defer_collection,
        )
    if subscription.cancel_at_period_end:
        end(subscription, on=boundary, reason="cancel_at_period_end")
        await settle_pending(
            session,
            scope,
            subscription,
            kind=SubscriptionInvoiceKind.FINAL,
            period=None,
            settings=settings,
            today=today,
            defer_collection=defer_collection,
        )
        return
    await begin_period(
        session,
        scope,
        subscription,
        start=boundary,
        bill=in_advance(subscription),
        settings=settings,
        today=today,
        defer_collection=defer_collection,
    )


async def begin_period(
    session: AsyncSession,
    scope: AccessScope,
    subscription: Subscription,
    *,
    start: date,
    bill: bool,
    settings: OperatorSettings,
    today: date,
    defer_collection: bool,
    open_items: bool = True,
) -> Settled | None:
    """Make the anchored period containing ``start`` current from ``start`` on, run the items
    in it, and (``bill``) invoice it now with everything pending."""
    period = anchored(subscription, start)
    subscription.current_period_start = start
    subscription.current_period_end = period.end
    if not open_items:
        return None
    state = await load_period(session, scope, subscription, period)
    session.add_all(open_segments(subscription, state, start, subscription.items))
    if not bill:
        return None
    catalog = await load_catalog(session, {item.price_id for item in subscription.items})
    return await _invoice_renewal(
        session,
        scope,
        subscription,
        state,
        catalog,
        settings=settings,
        today=today,
        defer_collection=defer_collection,
    )


async def bill_arrears(
    session: AsyncSession,
    scope: AccessScope,
    subscription: Subscription,
    *,
    settings: OperatorSettings,
    today: date,
    defer_collection: bool,
) -> Settled:
    """The renewal invoice of the current period, billed at its end (in arrears)."""
    period = anchored(subscription, subscription.current_period_start)
    state = await load_period(session, scope, subscription, period)
    catalog = await load_period_catalog(session, subscription, state)
    return await _invoice_renewal(
        session,
        scope,
        subscription,
        state,
        catalog,
        settings=settings,
        today=today,
        defer_collection=defer_collection,
    )


async def _invoice_renewal(
    session: AsyncSession,
    scope: AccessScope,
    subscription: Subscription,
    state: PeriodState,
    catalog: Catalog,
    *,
    settings: OperatorSettings,
    today: date,
    defer_collection: bool,
) -> Settled:
    """Charge the renewal of every item for the period and invoice it with what is pending."""
    drafts = settle_renewals(subscription, state, catalog, always=True)
    ChargeRepository(session, scope).add_all(draft.store(subscription) for draft in drafts)
    await session.flush()
    return await settle_pending(
        session,
        scope,
        subscription,
        kind=SubscriptionInvoiceKind.RENEWAL,
        period=state.period,
        settings=settings,
        today=today,
        defer_collection=defer_collection,
        catalog=catalog,
    )


def end(subscription: Subscription, *, on: date, reason: str) -> None:
    """Cancelled for good on ``on``."""
    subscription.status = SubscriptionStatus.CANCELLED
    subscription.ended_at = on
    subscription.cancelled_at = subscription.cancelled_at or utcnow()
    subscription.cancellation_reason = subscription.cancellation_reason or reason
    subscription.cancel_at_period_end = False
