"""Subscription rows -> ``SubscriptionRead``."""

from __future__ import annotations

from datetime import date

from billing.models.catalog import BillingScheme, BillingTiming, PriceInterval
from billing.models.subscription import (
    RENEWING_STATUSES,
    CollectionMethod,
    Subscription,
    SubscriptionStatus,
)
from billing.subscriptions.ledger import Catalog
from billing.subscriptions.periods import anchored, in_advance
from billing.subscriptions.schemas import ItemRead, SubscriptionRead


def read(subscription: Subscription, catalog: Catalog) -> SubscriptionRead:
    """The API representation of a subscription (items must be loaded)."""
    return SubscriptionRead(
        id=subscription.id,
        tenant_id=subscription.tenant_id,
        status=SubscriptionStatus(subscription.status),
        currency=subscription.currency,
        interval=PriceInterval(subscription.interval),
        interval_count=subscription.interval_count,
        billing_timing=BillingTiming(subscription.billing_timing),
        collection_method=CollectionMethod(subscription.collection_method),
        days_until_due=subscription.days_until_due,
        start_date=subscription.start_date,
        billing_anchor_day=subscription.billing_anchor_day,
        billing_anchor=subscription.billing_anchor,
        trial_end=subscription.trial_end,
        current_period_start=subscription.current_period_start,
        current_period_end=subscription.current_period_end,
        next_invoice_date=next_invoice_date(subscription),
        cancel_at_period_end=subscription.cancel_at_period_end,
        cancelled_at=subscription.cancelled_at,
        ended_at=subscription.ended_at,
        cancellation_reason=subscription.cancellation_reason,
        paused_at=subscription.paused_at,
        notes=subscription.notes,
        items=[
            ItemRead(
                id=item.id,
                price_id=item.price_id,
                product_id=catalog.price(item.price_id).product_id,
                name=catalog.product(item.price_id).name,
                nickname=catalog.price(item.price_id).nickname,
                quantity=item.quantity.normalize(),
                unit_amount=catalog.price(item.price_id).unit_amount.normalize(),
                billing_scheme=BillingScheme(catalog.price(item.price_id).billing_scheme),
            )
            for item in subscription.items
        ],
        created_at=subscription.created_at,
        updated_at=subscription.updated_at,
    )


def next_invoice_date(subscription: Subscription) -> date | None:
    """When the billing cycle issues the subscription's next renewal invoice."""
    status = SubscriptionStatus(subscription.status)
    if status not in RENEWING_STATUSES:
        return None
    if status is SubscriptionStatus.TRIALING:
        if subscription.cancel_at_period_end:
            return None
        if in_advance(subscription):
            return subscription.current_period_end
        return anchored(subscription, subscription.current_period_end).end
    if in_advance(subscription) and subscription.cancel_at_period_end:
        return None
    return subscription.current_period_end
