"""``GET /billing/usage``: each subscription's metered usage since its last invoice, with
the amounts the next invoice will bill for it (the same aggregation and pricing code)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import utcnow
from billing.core.tenancy import AccessScope
from billing.models.usage import Aggregation, UsageModel
from billing.settings.service import settings as settings_service
from billing.subscriptions.repository import SubscriptionRepository
from billing.subscriptions.schemas import SubscriptionUsageRead, UsageMetricRead, UsageRead
from billing.subscriptions.usage import measure
from billing.tenants.service import tenant as tenant_service


async def current_usage(
    session: AsyncSession, *, scope: AccessScope, tenant_id: uuid.UUID
) -> UsageRead:
    """The visible tenant's usage so far, per subscription with metered prices."""
    tenant = await tenant_service.get(session, scope=scope, tenant_id=tenant_id)
    settings = await settings_service.get(session)
    now = utcnow()
    subscriptions = []
    for subscription in await SubscriptionRepository(session, scope).live_for_tenant(tenant.id):
        usage = await measure(session, scope, subscription, until=now, timezone=settings.timezone)
        if not usage.items:
            continue
        currency = subscription.currency
        metrics = [
            UsageMetricRead(
                item_id=metered.item.id,
                price_id=metered.price.id,
                metric_id=metered.metric.id,
                code=metered.metric.code,
                name=metered.metric.name,
                aggregation=Aggregation(metered.metric.aggregation),
                usage_model=UsageModel(metered.price.usage_model or UsageModel.PER_UNIT),
                quantity=metered.quantity,
                amount=metered.amount(currency),
                currency=currency,
            )
            for metered in usage.items
        ]
        subscriptions.append(
            SubscriptionUsageRead(
                subscription_id=subscription.id,
                currency=currency,
                period_start=subscription.current_period_start,
                period_end=subscription.current_period_end,
                usage_from=usage.window.start,
                usage_to=usage.window.end,
                metrics=metrics,
                amount=sum((metric.amount for metric in metrics), Decimal(0)),
            )
        )
    return UsageRead(tenant_id=tenant.id, subscriptions=subscriptions)
