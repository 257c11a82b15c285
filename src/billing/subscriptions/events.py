"""Subscription events for the operator's webhook endpoints, with the subscription as the API
shows it.

A change is emitted from what it did to the row: ``snapshot`` before, ``emit_changes`` after.
A new current period is ``subscription.renewed`` (its renewal invoice has its own
``invoice.*`` events); a new status is ``past_due``, ``paused``, ``cancelled``, ``resumed``
(paused to active) or ``active`` (back from past_due or out of a trial)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from billing.models.states import EventType
from billing.models.subscription import Subscription, SubscriptionStatus
from billing.outbox import events
from billing.subscriptions.ledger import load_catalog
from billing.subscriptions.presenter import read
from billing.subscriptions.schemas import SubscriptionRead

_SEEN = "subscriptions.seen"
"""The state each subscription had when its events were last emitted in this transaction
(``session.info``): an operation that rolled a period (and emitted that) and then paused
compares with the rolled state, so nothing is emitted twice."""

_ENTERED = {
    SubscriptionStatus.PAST_DUE: EventType.SUBSCRIPTION_PAST_DUE,
    SubscriptionStatus.PAUSED: EventType.SUBSCRIPTION_PAUSED,
    SubscriptionStatus.CANCELLED: EventType.SUBSCRIPTION_CANCELLED,
}


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a change is compared with."""

    status: SubscriptionStatus
    period_start: date


def snapshot(subscription: Subscription) -> Snapshot:
    """The subscription's status and current period now."""
    return Snapshot(SubscriptionStatus(subscription.status), subscription.current_period_start)


async def emit_subscription(
    session: AsyncSession, event_type: EventType, subscription: Subscription
) -> None:
    """Queue ``event_type`` about ``subscription`` (items loaded) for the endpoints that want
    it."""

    async def payload() -> SubscriptionRead:
        catalog = await load_catalog(session, {item.price_id for item in subscription.items})
        return read(subscription, catalog)

    await events.emit(
        session,
        event_type,
        tenant_id=subscription.tenant_id,
        object_type="subscription",
        object_id=subscription.id,
        payload=payload,
    )


async def emit_changes(session: AsyncSession, subscription: Subscription, before: Snapshot) -> None:
    """Queue the events of what happened to ``subscription`` since ``before`` (or since its
    events were last emitted in this transaction)."""
    seen: dict[object, Snapshot] = session.info.setdefault(_SEEN, {})
    before = seen.get(subscription.id, before)
    after = snapshot(subscription)
    seen[subscription.id] = after
    if (
        after.status is not SubscriptionStatus.CANCELLED
        and after.period_start > before.period_start
    ):
        await emit_subscription(session, EventType.SUBSCRIPTION_RENEWED, subscription)
    if after.status is before.status:
        return
    event_type = _ENTERED.get(after.status)
    if event_type is None and after.status is SubscriptionStatus.ACTIVE:
        event_type = (
            EventType.SUBSCRIPTION_RESUMED
            if before.status is SubscriptionStatus.PAUSED
            else EventType.SUBSCRIPTION_ACTIVE
        )
    if event_type is not None:
        await emit_subscription(session, event_type, subscription)
