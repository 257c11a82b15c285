"""Usage lines of subscription invoices: metered prices billed in arrears.

A subscription item whose price is metered (``Price.billable_metric_id``) bills the usage of
its metric counted since the subscription's ``usage_billed_through``: one aggregation in
PostgreSQL per metric and window (``billing.metering.repository``), priced by the price's
model (``billing.metering.pricing``) into ordinary invoice lines.

* A renewal or final invoice bills usage counted up to ``settled_bound(period end, now,
  grace)`` and moves ``usage_billed_through`` there, under the subscription's row lock. So
  every event is billed exactly once: an event counts at ``effective_at``
  (``billing.metering.timing``), which is never before the bound of an invoice issued
  before it arrived, so a late event falls in the window of the next invoice.
* The billing cycle waits until the grace period after a period's end has passed before it
  renews a subscription with metered prices (``renewal.advance_once``), so events arriving
  within it still land in the period of their timestamp.
* Usage starts at the end of the trial (or the subscription's start): usage during a trial
  is not billed.
* The upcoming invoice and ``GET /billing/usage`` show the usage counted so far (up to now)
  with the same code, without moving anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from billing.catalog.prices.repository import PriceRepository
from billing.catalog.repository import ProductRepository
from billing.core.clock import local_date, utcnow
from billing.core.tenancy import AccessScope
from billing.invoices.schemas import LineInput
from billing.metering.errors import UsageTooLarge
from billing.metering.pricing import (
    PricedLine,
    Tier,
    UsagePrice,
    amount_of,
    oversized,
    price_lines,
)
from billing.metering.repository import MetricRepository, UsageEventRepository, Window
from billing.metering.timing import settled_bound, start_of
from billing.models.catalog import Price, Product
from billing.models.subscription import Subscription, SubscriptionItem
from billing.models.usage import BillableMetric, UsageModel
from billing.settings.schemas import OperatorSettings


@dataclass(frozen=True, slots=True)
class UsageLine:
    """One invoice line of metered usage (a tier, a flat fee, or all of a simple price)."""

    product_id: uuid.UUID
    price_id: uuid.UUID
    metric_code: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    service_start: date
    service_end: date
    window: Window
    description: str | None = None
    tax_rate_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class MeteredItem:
    """The usage of one metered item in a window, priced."""

    item: SubscriptionItem
    price: Price
    product: Product
    metric: BillableMetric
    quantity: Decimal
    priced: list[PricedLine]

    def amount(self, currency: str) -> Decimal:
        """The net the item's lines make on an invoice."""
        return amount_of(self.priced, currency)


@dataclass(frozen=True, slots=True)
class Usage:
    """The metered usage of a subscription in one window."""

    window: Window
    items: list[MeteredItem]
    timezone: str

    def lines(self) -> list[UsageLine]:
        """The invoice lines, item by item."""
        start = local_date(self.window.start, self.timezone)
        end = local_date(self.window.end, self.timezone)
        label = _window_label(self.window, self.timezone)
        return [
            UsageLine(
                product_id=metered.product.id,
                price_id=metered.price.id,
                metric_code=metered.metric.code,
                name=metered.product.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                service_start=start,
                service_end=end,
                window=self.window,
                description=f"{metered.metric.name}: {line.label}, {label}",
                tax_rate_id=metered.price.tax_rate_id,
            )
            for metered in self.items
            for line in metered.priced
        ]


def _window_label(window: Window, timezone: str) -> str:
    start = window.start.astimezone(ZoneInfo(timezone))
    end = window.end.astimezone(ZoneInfo(timezone))
    return f"{start:%d %b %Y %H:%M} - {end:%d %b %Y %H:%M}"


def usage_start(subscription: Subscription, timezone: str) -> datetime:
    """Where unbilled usage starts: the watermark, else the end of the trial or the start."""
    if subscription.usage_billed_through is not None:
        return subscription.usage_billed_through
    return start_of(subscription.trial_end or subscription.start_date, timezone)


def usage_price(price: Price) -> UsagePrice:
    """The pricing terms of a metered price."""
    return UsagePrice(
        model=UsageModel(price.usage_model or UsageModel.PER_UNIT),
        unit_amount=price.unit_amount,
        package_size=price.package_size,
        tiers=tuple(Tier.of(tier) for tier in price.tiers or ()),
    )


async def metered_prices(
    session: AsyncSession, items: Sequence[SubscriptionItem]
) -> dict[uuid.UUID, Price]:
    """The metered prices among the items', by id (one statement)."""
    prices = await PriceRepository(session).get_many(item.price_id for item in items)
    return {price_id: price for price_id, price in prices.items() if price.metered}


async def has_metered(session: AsyncSession, subscription: Subscription) -> bool:
    """True when an item of the subscription has a metered price."""
    return bool(await metered_prices(session, subscription.items))


async def measure(
    session: AsyncSession,
    scope: AccessScope,
    subscription: Subscription,
    *,
    until: datetime,
    timezone: str,
) -> Usage:
    """The usage of every metered item counted from the watermark up to ``until``: one
    aggregation per metric (an empty window aggregates nothing)."""
    start = usage_start(subscription, timezone)
    window = Window(start, max(start, until))
    prices = await metered_prices(session, subscription.items)
    if not prices:
        return Usage(window, [], timezone)
    metrics = await MetricRepository(session).get_many(
        price.billable_metric_id for price in prices.values() if price.billable_metric_id
    )
    products = await ProductRepository(session).get_many(p.product_id for p in prices.values())
    events = UsageEventRepository(session, scope)
    items = []
    for item in subscription.items:
        price = prices.get(item.price_id)
        if price is None or price.billable_metric_id is None:
            continue
        metric = metrics[price.billable_metric_id]
        quantity = (
            await events.aggregate(tenant_id=subscription.tenant_id, metric=metric, window=window)
            if window.end > window.start
            else Decimal(0)
        )
        priced = price_lines(usage_price(price), quantity)
        problem = oversized(priced)
        if problem is not None:
            # Reported before any line is built: a read or an invoice stops here with the
            # metric named, instead of failing on a column or a response field.
            raise UsageTooLarge(
                f"The usage of metric '{metric.code}' since {window.start.isoformat()} cannot "
                f"be invoiced: {problem}."
            )
        items.append(
            MeteredItem(
                item=item,
                price=price,
                product=products[price.product_id],
                metric=metric,
                quantity=quantity,
                priced=priced,
            )
        )
    return Usage(window, items, timezone)


async def preview(
    session: AsyncSession, scope: AccessScope, subscription: Subscription, timezone: str
) -> Usage:
    """The usage counted so far and not billed yet (nothing moves)."""
    return await measure(session, scope, subscription, until=utcnow(), timezone=timezone)


def grace_of(settings: OperatorSettings) -> timedelta:
    """The operator's grace period for late usage events."""
    return timedelta(minutes=settings.subscriptions.usage_grace_minutes)


async def bill(
    session: AsyncSession,
    scope: AccessScope,
    subscription: Subscription,
    *,
    until: datetime,
    settings: OperatorSettings,
    final: bool = False,
) -> list[UsageLine]:
    """The usage lines of an invoice closing at ``until`` (a period end, or an end of the
    subscription); moves the watermark to what they cover. The caller holds the
    subscription's row lock and issues the invoice in the same transaction.

    A final invoice has no next invoice to leave late usage to: it bills everything counted
    up to ``until`` (events arriving after it are not billed)."""
    now = utcnow()
    bound = min(until, now) if final else settled_bound(until, now, grace_of(settings))
    usage = await measure(session, scope, subscription, until=bound, timezone=settings.timezone)
    if not usage.items and subscription.usage_billed_through is None:
        return []
    subscription.usage_billed_through = usage.window.end
    return usage.lines()


async def renewal_due(
    session: AsyncSession, subscription: Subscription, settings: OperatorSettings
) -> bool:
    """False while the grace period after the current period's end runs, for a subscription
    with metered prices (its renewal bills the usage of the period)."""
    if not await has_metered(session, subscription):
        return True
    end = start_of(subscription.current_period_end, settings.timezone)
    return settled_bound(end, utcnow(), grace_of(settings)) >= end


def usage_input(line: UsageLine, subscription: Subscription) -> LineInput:
    """The invoice line of a usage line."""
    return LineInput(
        product_id=line.product_id,
        name=line.name,
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        tax_rate_id=line.tax_rate_id,
        variant_info={
            "subscription_id": str(subscription.id),
            "price_id": str(line.price_id),
            "charge": "usage",
            "metric": line.metric_code,
            "usage_from": line.window.start.isoformat(),
            "usage_to": line.window.end.isoformat(),
            "service_start": line.service_start.isoformat(),
            "service_end": line.service_end.isoformat(),
        },
    )
