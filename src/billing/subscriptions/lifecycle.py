"""Ending, pausing and resuming subscriptions, with the credits and invoices they make.

Each operation locks the subscription row, brings it up to today (the periods the cycle has
not advanced yet are advanced now), then applies itself from today on.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import utcnow
from billing.core.tenancy import AccessScope
from billing.models.subscription import (
    Subscription,
    SubscriptionInvoiceKind,
    SubscriptionStatus,
)
from billing.subscriptions.errors import SubscriptionNotFound, SubscriptionStateConflict
from billing.subscriptions.events import emit_changes, snapshot
from billing.subscriptions.invoicing import settle_now
from billing.subscriptions.ledger import load_catalog
from billing.subscriptions.operations import Outcome, pending_amount, store_segments, today_of
from billing.subscriptions.periods import (
    anchored,
    change_item,
    end_segments,
    load_period,
    load_period_catalog,
    settle_renewals,
)
from billing.subscriptions.renewal import begin_period, catch_up, end, in_advance
from billing.subscriptions.repository import ChargeRepository, SubscriptionRepository
from billing.subscriptions.schemas import (
    EndBehavior,
    PauseRequest,
    ProrationBehavior,
    ResumeRequest,
    SubscriptionCancelRequest,
)


class LifecycleService:
    """Cancel (now or at the period end), pause and resume."""

    async def _locked(
        self, session: AsyncSession, scope: AccessScope, subscription_id: uuid.UUID
    ) -> Subscription:
        found = await SubscriptionRepository(session, scope).get(subscription_id, for_update=True)
        if found is None:
            raise SubscriptionNotFound
        return found

    @asynccontextmanager
    async def _changing(
        self, session: AsyncSession, scope: AccessScope, subscription_id: uuid.UUID
    ) -> AsyncIterator[Subscription]:
        """The subscription, locked; once the block has changed it without failing, the
        events of what changed are emitted."""
        subscription = await self._locked(session, scope, subscription_id)
        before = snapshot(subscription)
        yield subscription
        await emit_changes(session, subscription, before)

    async def cancel(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        subscription_id: uuid.UUID,
        body: SubscriptionCancelRequest,
    ) -> Outcome:
        """Cancel at the period end, or now (crediting or billing the current period as
        asked, then settling whatever is pending)."""
        async with self._changing(session, scope, subscription_id) as subscription:
            settings, today = await today_of(session)
            status = SubscriptionStatus(subscription.status)
            if status is SubscriptionStatus.CANCELLED:
                raise SubscriptionStateConflict("The subscription is already cancelled.")
            if body.at_period_end:
                if status is SubscriptionStatus.PAUSED:
                    raise SubscriptionStateConflict(
                        "A paused subscription has no period to end; cancel it now."
                    )
                subscription.cancel_at_period_end = True
                subscription.cancellation_reason = body.reason
                await SubscriptionRepository(session, scope).flush()
                return Outcome(
                    subscription, pending_amount=await pending_amount(session, scope, subscription)
                )
            await catch_up(session, scope, subscription, today=today, settings=settings)
            outcome = Outcome(subscription)
            if SubscriptionStatus(subscription.status) is SubscriptionStatus.CANCELLED:
                return outcome  # it ended at a period end on the way to today
            if SubscriptionStatus(subscription.status) in (
                SubscriptionStatus.ACTIVE,
                SubscriptionStatus.PAST_DUE,
            ):
                await self._stop_now(
                    session, scope, subscription, today, EndBehavior(body.proration_behavior)
                )
            subscription.cancellation_reason = body.reason
            end(subscription, on=today, reason=body.reason or "cancelled")
            await session.flush()
            outcome.settled = await settle_now(
                session, scope, subscription, SubscriptionInvoiceKind.FINAL, settings, today
            )
            return outcome

    async def pause(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        subscription_id: uuid.UUID,
        body: PauseRequest,
    ) -> Outcome:
        """Stop billing from today until resumed."""
        async with self._changing(session, scope, subscription_id) as subscription:
            settings, today = await today_of(session)
            if SubscriptionStatus(subscription.status) not in (
                SubscriptionStatus.ACTIVE,
                SubscriptionStatus.PAST_DUE,
            ):
                raise SubscriptionStateConflict(
                    f"Only an active or past_due subscription can be paused; this one is "
                    f"{subscription.status}."
                )
            await catch_up(session, scope, subscription, today=today, settings=settings)
            if SubscriptionStatus(subscription.status) is SubscriptionStatus.CANCELLED:
                raise SubscriptionStateConflict("The subscription ended at its period end.")
            behavior = EndBehavior(body.proration_behavior)
            await self._stop_now(session, scope, subscription, today, behavior)
            subscription.status = SubscriptionStatus.PAUSED
            subscription.paused_at = utcnow()
            await session.flush()
            outcome = Outcome(subscription)
            if behavior is EndBehavior.INVOICE_NOW:
                outcome.settled = await settle_now(
                    session, scope, subscription, SubscriptionInvoiceKind.PRORATION, settings, today
                )
            outcome.pending_amount = await pending_amount(session, scope, subscription)
            return outcome

    async def resume(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        subscription_id: uuid.UUID,
        body: ResumeRequest,
    ) -> Outcome:
        """Bill again from today: the rest of the current period as asked, then as usual."""
        async with self._changing(session, scope, subscription_id) as subscription:
            settings, today = await today_of(session)
            if SubscriptionStatus(subscription.status) is not SubscriptionStatus.PAUSED:
                raise SubscriptionStateConflict(
                    f"Only a paused subscription can be resumed; this one is {subscription.status}."
                )
            behavior = ProrationBehavior(body.proration_behavior)
            subscription.status = SubscriptionStatus.ACTIVE
            subscription.paused_at = None
            outcome = Outcome(subscription)
            if today >= subscription.current_period_end:
                # A later period: it starts today, and the days before it were paused.
                outcome.settled = await begin_period(
                    session,
                    scope,
                    subscription,
                    start=today,
                    bill=in_advance(subscription) and behavior is ProrationBehavior.INVOICE_NOW,
                    settings=settings,
                    today=today,
                    defer_collection=True,
                    open_items=behavior is not ProrationBehavior.NONE,
                )
                if in_advance(subscription) and behavior is ProrationBehavior.NEXT_INVOICE:
                    await self._bill_rest_pending(session, scope, subscription)
                outcome.pending_amount = await pending_amount(session, scope, subscription)
                return outcome
            if behavior is not ProrationBehavior.NONE:
                period = anchored(subscription, subscription.current_period_start)
                state = await load_period(session, scope, subscription, period)
                catalog = await load_period_catalog(session, subscription, state)
                for item in subscription.items:
                    covered = state.covered_until(item.id)
                    if covered is not None and covered >= period.end:
                        continue  # paused without a credit: these days were never given back
                    change = change_item(
                        subscription,
                        state,
                        catalog,
                        item=item,
                        on=today,
                        new_price_id=item.price_id,
                        new_quantity=item.quantity,
                        in_advance=in_advance(subscription),
                        write=True,
                    )
                    ChargeRepository(session, scope).add_all(
                        d.store(subscription) for d in change.drafts
                    )
                store_segments(session, state)
                await session.flush()
                if behavior is ProrationBehavior.INVOICE_NOW and in_advance(subscription):
                    outcome.settled = await settle_now(
                        session,
                        scope,
                        subscription,
                        SubscriptionInvoiceKind.PRORATION,
                        settings,
                        today,
                    )
            await session.flush()
            outcome.pending_amount = await pending_amount(session, scope, subscription)
            return outcome

    async def _bill_rest_pending(
        self, session: AsyncSession, scope: AccessScope, subscription: Subscription
    ) -> None:
        """Resumed in a later period with next_invoice: the rest of that period waits for the
        next renewal invoice."""
        period = anchored(subscription, subscription.current_period_start)
        state = await load_period(session, scope, subscription, period)
        catalog = await load_catalog(session, {item.price_id for item in subscription.items})
        drafts = settle_renewals(subscription, state, catalog)
        ChargeRepository(session, scope).add_all(d.store(subscription) for d in drafts)
        await session.flush()

    async def _stop_now(
        self,
        session: AsyncSession,
        scope: AccessScope,
        subscription: Subscription,
        today: date,
        behavior: EndBehavior,
    ) -> None:
        """End every item's current period today: in advance, credit the unused days; in
        arrears, bill the days used (``invoice_now``), or forgive them (``none``)."""
        period = anchored(subscription, subscription.current_period_start)
        state = await load_period(session, scope, subscription, period)
        if behavior is EndBehavior.NONE:
            if not in_advance(subscription):
                end_segments(state, None, today)
            return
        catalog = await load_period_catalog(session, subscription, state)
        charges = ChargeRepository(session, scope)
        if in_advance(subscription):
            for item_id in state.item_ids():
                item = next((i for i in subscription.items if i.id == item_id), None)
                if item is None:
                    continue
                change = change_item(
                    subscription,
                    state,
                    catalog,
                    item=item,
                    on=today,
                    new_price_id=None,
                    new_quantity=None,
                    in_advance=True,
                    write=True,
                )
                charges.add_all(d.store(subscription) for d in change.drafts)
        else:
            end_segments(state, None, today)
            charges.add_all(
                d.store(subscription) for d in settle_renewals(subscription, state, catalog)
            )
        await session.flush()


lifecycle = LifecycleService()
