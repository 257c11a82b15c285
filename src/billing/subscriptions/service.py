"""Subscription rules: create, read, update, and change with proration (cancel, pause and
resume live in ``lifecycle``).

Every operation that moves money locks the subscription row (waiting: a billing cycle step
holding it finishes first), first brings the subscription up to today (the periods the cycle
has not advanced yet are advanced now, by the same code), then applies itself from today on.
The proration quote runs the very same computation without writing, so a quote and the change
that follows it on the same day bill the same amounts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth.principal import Principal
from billing.catalog.prices.errors import PriceInactive, UnknownPrice
from billing.catalog.prices.repository import PriceRepository
from billing.core.jobs import ADVANCE_SUBSCRIPTION_TASK, defer
from billing.core.pagination import PageOf, PageParams
from billing.core.tenancy import AccessScope
from billing.models.catalog import BillingScheme, BillingTiming, Price, PriceInterval
from billing.models.invoice import Invoice
from billing.models.states import EventType
from billing.models.subscription import (
    RENEWING_STATUSES,
    CollectionMethod,
    Subscription,
    SubscriptionInvoice,
    SubscriptionInvoiceKind,
    SubscriptionItem,
    SubscriptionStatus,
)
from billing.subscriptions.errors import (
    PricesIncompatible,
    ProrationNotSupported,
    SubscriptionAmbiguous,
    SubscriptionInvalid,
    SubscriptionItemNotFound,
    SubscriptionNotFound,
    SubscriptionStateConflict,
)
from billing.subscriptions.events import emit_subscription
from billing.subscriptions.invoicing import settle_now
from billing.subscriptions.ledger import ZERO, Catalog, load_catalog
from billing.subscriptions.operations import Outcome, pending_amount, store_segments, today_of
from billing.subscriptions.periods import (
    ItemChange,
    PeriodState,
    anchored,
    change_item,
    load_period,
    open_segments,
    settle_renewals,
)
from billing.subscriptions.presenter import read
from billing.subscriptions.renewal import begin_period, catch_up, in_advance
from billing.subscriptions.repository import (
    ChargeRepository,
    SubscriptionInvoiceRepository,
    SubscriptionRepository,
)
from billing.subscriptions.schedule import first_anchor
from billing.subscriptions.schemas import (
    ChangeRequest,
    ProrationBehavior,
    ProrationQuote,
    ProrationQuoteRequest,
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionUpdate,
)
from billing.tenants.service import tenant as tenant_service

_DAY_INTERVALS = (PriceInterval.DAY, PriceInterval.WEEK)


class SubscriptionService:
    """Every rule about a subscription's lifecycle and its money."""

    # -- reads ------------------------------------------------------------------------------

    async def get(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        subscription_id: uuid.UUID,
        for_update: bool = False,
    ) -> Subscription:
        """A visible subscription with its items, or ``SubscriptionNotFound``."""
        found = await SubscriptionRepository(session, scope).get(
            subscription_id, for_update=for_update
        )
        if found is None:
            raise SubscriptionNotFound
        return found

    async def list_page(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        tenant_id: uuid.UUID | None,
        status: SubscriptionStatus | None,
        page: PageParams,
    ) -> PageOf[Subscription]:
        """A page of visible subscriptions."""
        return await SubscriptionRepository(session, scope).list_page(
            tenant_id=tenant_id, status=status, page=page
        )

    async def invoices(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        subscription_id: uuid.UUID,
        page: PageParams,
    ) -> PageOf[tuple[SubscriptionInvoice, Invoice]]:
        """The invoices a visible subscription produced, newest first."""
        await self.get(session, scope=scope, subscription_id=subscription_id)
        return await SubscriptionInvoiceRepository(session, scope).with_invoices(
            subscription_id, page=page
        )

    async def present(
        self, session: AsyncSession, subscriptions: Sequence[Subscription]
    ) -> list[SubscriptionRead]:
        """API representations, with each item's price terms (one catalog read for all)."""
        catalog = await load_catalog(
            session, {item.price_id for sub in subscriptions for item in sub.items}
        )
        return [read(sub, catalog) for sub in subscriptions]

    # -- create and update ------------------------------------------------------------------

    async def create(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        principal: Principal,
        body: SubscriptionCreate,
    ) -> Subscription:
        """Subscribe a visible tenant; the first period (after any trial) is billed now."""
        tenant = await tenant_service.get(session, scope=scope, tenant_id=body.tenant_id)
        settings, today = await today_of(session)
        prices = await PriceRepository(session).get_many(item.price_id for item in body.items)
        ordered = [
            _new_price(prices, item.price_id, position) for position, item in enumerate(body.items)
        ]
        _check_items(ordered, [item.quantity for item in body.items])
        await _check_metrics_free(session, scope, tenant.id, ordered)
        first = ordered[0]
        if first.currency not in settings.enabled_currencies:
            raise SubscriptionInvalid(
                f"Currency {first.currency} is not enabled. Enabled currencies: "
                f"{', '.join(settings.enabled_currencies)}"
            )
        start = body.start_date or today
        if start > today:
            raise SubscriptionInvalid(
                f"start_date {start} is in the future (today is {today} in {settings.timezone})."
            )
        interval = PriceInterval(first.interval)
        if body.billing_anchor_day is not None and interval in _DAY_INTERVALS:
            raise SubscriptionInvalid(
                "billing_anchor_day applies to month, quarter and year prices; "
                f"{interval.value} prices start their periods on the start date."
            )
        method = CollectionMethod(body.collection_method)
        if body.days_until_due is not None and method is CollectionMethod.CHARGE_AUTOMATICALLY:
            raise SubscriptionInvalid(
                "days_until_due is for send_invoice; automatic charges are due at once."
            )
        trial_days = (
            body.trial_days
            if body.trial_days is not None
            else max(price.trial_days for price in ordered)
        )
        trial_end = start + timedelta(days=trial_days) if trial_days else None
        billing_start = trial_end or start
        anchor, anchor_day = first_anchor(interval, billing_start, body.billing_anchor_day)
        subscription = Subscription(
            id=uuid.uuid4(),
            tenant_id=tenant.id,
            status=(
                SubscriptionStatus.TRIALING.value if trial_end else SubscriptionStatus.ACTIVE.value
            ),
            currency=first.currency,
            interval=interval.value,
            interval_count=first.interval_count,
            billing_timing=_timing_reference(ordered).billing_timing,
            collection_method=method.value,
            days_until_due=body.days_until_due,
            start_date=start,
            billing_anchor_day=anchor_day,
            billing_anchor=anchor,
            trial_end=trial_end,
            current_period_start=start,
            current_period_end=trial_end or anchor,
            cancel_at_period_end=False,
            notes=body.notes,
            created_by=principal.key,
        )
        subscription.items = [
            SubscriptionItem(
                id=uuid.uuid4(),
                tenant_id=tenant.id,
                subscription_id=subscription.id,
                price_id=price.id,
                quantity=_quantity(price, item.quantity),
                position=position,
            )
            for position, (price, item) in enumerate(zip(ordered, body.items, strict=True))
        ]
        repository = SubscriptionRepository(session, scope)
        await PriceRepository(session).mark_used(price.id for price in ordered)
        if trial_end is None:
            subscription.current_period_end = anchored(subscription, start).end
            await repository.create(subscription)
            await begin_period(
                session,
                scope,
                subscription,
                start=start,
                bill=in_advance(subscription),
                settings=settings,
                today=today,
                defer_collection=True,
            )
        else:
            await repository.create(subscription)
        await repository.flush()
        await emit_subscription(session, EventType.SUBSCRIPTION_CREATED, subscription)
        if subscription.current_period_end <= today:
            # Started in the past: the worker bills the periods since then.
            await defer(
                session,
                ADVANCE_SUBSCRIPTION_TASK,
                args={"tenant_id": str(tenant.id), "subscription_id": str(subscription.id)},
            )
        return subscription

    async def update(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        subscription_id: uuid.UUID,
        body: SubscriptionUpdate,
    ) -> Subscription:
        """Change what moves no money: cancel at period end (or undo it), collection, notes."""
        subscription = await self.get(
            session, scope=scope, subscription_id=subscription_id, for_update=True
        )
        changes = body.model_dump(exclude_unset=True)
        if SubscriptionStatus(subscription.status) is SubscriptionStatus.CANCELLED and changes:
            raise SubscriptionStateConflict("A cancelled subscription cannot change.")
        method = CollectionMethod(
            changes.get("collection_method") or subscription.collection_method
        )
        days = changes.get("days_until_due", subscription.days_until_due)
        if method is CollectionMethod.CHARGE_AUTOMATICALLY and days is not None:
            if "days_until_due" in changes:
                raise SubscriptionInvalid(
                    "days_until_due is for send_invoice; automatic charges are due at once."
                )
            changes["days_until_due"] = None
        for field, value in changes.items():
            if field in ("cancel_at_period_end", "collection_method") and value is None:
                continue
            setattr(subscription, field, value.value if hasattr(value, "value") else value)
        await SubscriptionRepository(session, scope).flush()
        return subscription

    # -- proration --------------------------------------------------------------------------

    async def quote(
        self, session: AsyncSession, *, scope: AccessScope, body: ProrationQuoteRequest
    ) -> ProrationQuote:
        """What changing an item to ``price_id``/``quantity`` today would bill (seed 003)."""
        tenant = await tenant_service.get(session, scope=scope, tenant_id=body.tenant_id)
        candidates = await SubscriptionRepository(session, scope).live_for_tenant(tenant.id)
        if body.subscription_id is not None:
            candidates = [s for s in candidates if s.id == body.subscription_id]
            if not candidates:
                raise SubscriptionNotFound
        if not candidates:
            raise SubscriptionNotFound("The tenant has no live subscription.")
        if len(candidates) > 1:
            raise SubscriptionAmbiguous(
                "The tenant has several subscriptions; name one with subscription_id.",
                details=[{"subscription_id": str(s.id)} for s in candidates],
            )
        subscription = candidates[0]
        _, today = await today_of(session)
        item = _item(subscription, body.item_id)
        price_id, quantity = await _target(
            session, subscription, item, body.price_id, body.quantity
        )
        status = SubscriptionStatus(subscription.status)
        if status is SubscriptionStatus.PAUSED:
            raise SubscriptionStateConflict("A paused subscription has nothing to prorate.")
        catalog = await load_catalog(session, {item.price_id, price_id})
        if status is SubscriptionStatus.TRIALING and subscription.current_period_end > today:
            return _trial_quote(subscription, item, price_id, quantity, today)
        state = await _state_as_of(session, scope, subscription, today, catalog)
        change = await _priced_change(
            session, subscription, state, item, price_id, quantity, today, write=False
        )
        return _quote(subscription, item, change, price_id, quantity)

    async def change(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        subscription_id: uuid.UUID,
        body: ChangeRequest,
    ) -> Outcome:
        """Apply a new price and/or quantity to an item today, prorated as asked."""
        subscription = await self.get(
            session, scope=scope, subscription_id=subscription_id, for_update=True
        )
        settings, today = await today_of(session)
        status = SubscriptionStatus(subscription.status)
        if status not in RENEWING_STATUSES:
            raise SubscriptionStateConflict(
                f"A {status.value} subscription cannot change; resume it first."
                if status is SubscriptionStatus.PAUSED
                else "A cancelled subscription cannot change."
            )
        item = _item(subscription, body.item_id)
        price_id, quantity = await _target(
            session, subscription, item, body.price_id, body.quantity
        )
        behavior = ProrationBehavior(body.proration_behavior)
        if behavior is ProrationBehavior.INVOICE_NOW and not in_advance(subscription):
            raise ProrationNotSupported(
                "In arrears, a change is billed on the period-end invoice; use next_invoice "
                "(or none to apply it from the next period)."
            )
        await catch_up(session, scope, subscription, today=today, settings=settings)
        if SubscriptionStatus(subscription.status) not in RENEWING_STATUSES:
            raise SubscriptionStateConflict("The subscription ended at its period end.")
        await PriceRepository(session).mark_used([price_id])
        outcome = Outcome(subscription)
        trialing = SubscriptionStatus(subscription.status) is SubscriptionStatus.TRIALING
        if trialing or behavior is ProrationBehavior.NONE:
            item.price_id, item.quantity = price_id, quantity
            await SubscriptionRepository(session, scope).flush()
            outcome.pending_amount = await pending_amount(session, scope, subscription)
            return outcome
        period = anchored(subscription, subscription.current_period_start)
        state = await load_period(session, scope, subscription, period)
        change = await _priced_change(
            session, subscription, state, item, price_id, quantity, today, write=True
        )
        store_segments(session, state)
        ChargeRepository(session, scope).add_all(d.store(subscription) for d in change.drafts)
        outcome.quote = _quote(subscription, item, change, price_id, quantity)
        item.price_id, item.quantity = price_id, quantity
        await session.flush()
        if behavior is ProrationBehavior.INVOICE_NOW:
            outcome.settled = await settle_now(
                session, scope, subscription, SubscriptionInvoiceKind.PRORATION, settings, today
            )
        outcome.pending_amount = await pending_amount(session, scope, subscription)
        return outcome


async def _priced_change(
    session: AsyncSession,
    subscription: Subscription,
    state: PeriodState,
    item: SubscriptionItem,
    price_id: uuid.UUID,
    quantity: Decimal,
    today: date,
    *,
    write: bool,
) -> ItemChange:
    """The change of ``item`` to ``quantity`` at ``price_id`` from ``today`` in the period,
    with every price it involves loaded (``write``: the period's segments are changed)."""
    catalog = await load_catalog(session, {item.price_id, price_id} | state.price_ids())
    return change_item(
        subscription,
        state,
        catalog,
        item=item,
        on=today,
        new_price_id=price_id,
        new_quantity=quantity,
        in_advance=in_advance(subscription),
        write=write,
    )


def _new_price(prices: dict[uuid.UUID, Price], price_id: uuid.UUID, position: int) -> Price:
    price = prices.get(price_id)
    if price is None:
        raise UnknownPrice(f"items[{position}]: price {price_id} does not exist.")
    if not price.active:
        raise PriceInactive(f"items[{position}]: price {price_id} is inactive.")
    return price


def _compatible(price: Price, reference: Price | Subscription) -> bool:
    # Metered prices bill usage in arrears whatever the timing of the subscription's fees.
    metered = price.metered or (isinstance(reference, Price) and reference.metered)
    return (
        price.currency == reference.currency
        and PriceInterval(price.interval) is PriceInterval(reference.interval)
        and price.interval_count == reference.interval_count
        and (
            metered
            or BillingTiming(price.billing_timing) is BillingTiming(reference.billing_timing)
        )
    )


def _timing_reference(prices: Sequence[Price]) -> Price:
    """The price whose timing the subscription takes: the first fixed fee (metered prices
    are in arrears, so a subscription of metered prices only is too)."""
    return next((price for price in prices if not price.metered), prices[0])


def _check_items(prices: Sequence[Price], quantities: Sequence[Decimal]) -> None:
    first = _timing_reference(prices)
    metrics = [price.billable_metric_id for price in prices if price.metered]
    if len(set(metrics)) != len(metrics):
        raise SubscriptionInvalid("Two metered prices of one subscription bill the same metric.")
    for position, price in enumerate(prices):
        if not _compatible(price, first):
            raise PricesIncompatible(
                f"items[{position}]: price {price.id} is {price.currency} every "
                f"{price.interval_count} {price.interval} {price.billing_timing}; items[0] is "
                f"{first.currency} every {first.interval_count} {first.interval} "
                f"{first.billing_timing}."
            )
    if len({price.id for price in prices}) != len(prices):
        raise SubscriptionInvalid("A price can appear once per subscription; raise its quantity.")
    for position, (price, quantity) in enumerate(zip(prices, quantities, strict=True)):
        _quantity(price, quantity, position)


def _quantity(price: Price, quantity: Decimal, position: int | None = None) -> Decimal:
    where = f"items[{position}]: " if position is not None else ""
    if BillingScheme(price.billing_scheme) is BillingScheme.FLAT and quantity != 1:
        raise SubscriptionInvalid(f"{where}a flat price is billed once per period; quantity is 1.")
    if price.metered and quantity != 1:
        raise SubscriptionInvalid(f"{where}a metered price bills its usage; quantity is 1.")
    return quantity


async def _check_metrics_free(
    session: AsyncSession, scope: AccessScope, tenant_id: uuid.UUID, prices: Sequence[Price]
) -> None:
    """A metric is billed by one live subscription of a tenant (its events would otherwise be
    billed twice)."""
    wanted = {price.billable_metric_id for price in prices if price.metered}
    if not wanted:
        return
    others = await SubscriptionRepository(session, scope).live_for_tenant(tenant_id)
    used = await PriceRepository(session).get_many(
        item.price_id for other in others for item in other.items
    )
    for other in others:
        for item in other.items:
            price = used.get(item.price_id)
            if price is not None and price.billable_metric_id in wanted:
                raise SubscriptionInvalid(
                    f"Subscription {other.id} of the tenant already bills the usage of metric "
                    f"{price.billable_metric_id}."
                )


def _item(subscription: Subscription, item_id: uuid.UUID | None) -> SubscriptionItem:
    if item_id is None:
        if len(subscription.items) != 1:
            raise SubscriptionAmbiguous(
                "The subscription has several items; name one with item_id.",
                details=[{"item_id": str(item.id)} for item in subscription.items],
            )
        return subscription.items[0]
    for item in subscription.items:
        if item.id == item_id:
            return item
    raise SubscriptionItemNotFound(f"Subscription {subscription.id} has no item {item_id}.")


async def _target(
    session: AsyncSession,
    subscription: Subscription,
    item: SubscriptionItem,
    price_id: uuid.UUID | None,
    quantity: Decimal | None,
) -> tuple[uuid.UUID, Decimal]:
    """The validated new price and quantity of an item."""
    target_id = price_id or item.price_id
    price = await PriceRepository(session).get(target_id)
    if price is None:
        raise UnknownPrice(f"Price {target_id} does not exist.")
    if price.id != item.price_id and not price.active:
        raise PriceInactive
    current = await PriceRepository(session).get(item.price_id)
    if price.metered or (current is not None and current.metered):
        raise SubscriptionInvalid(
            "Metered items do not change: their usage is billed at the period end. Cancel the "
            "subscription and subscribe again to change how usage is priced."
        )
    if not _compatible(price, subscription):
        raise PricesIncompatible(
            f"Price {price.id} is {price.currency} every {price.interval_count} "
            f"{price.interval} {price.billing_timing}; the subscription is "
            f"{subscription.currency} every {subscription.interval_count} "
            f"{subscription.interval} {subscription.billing_timing}."
        )
    if any(other.price_id == price.id for other in subscription.items if other.id != item.id):
        raise SubscriptionInvalid("Another item already has this price; change its quantity.")
    flat = BillingScheme(price.billing_scheme) is BillingScheme.FLAT
    new_quantity = quantity if quantity is not None else (Decimal(1) if flat else item.quantity)
    _quantity(price, new_quantity)
    if price.id == item.price_id and new_quantity == item.quantity:
        raise SubscriptionInvalid("Nothing changes: the item already has this price and quantity.")
    return price.id, new_quantity


async def _state_as_of(
    session: AsyncSession,
    scope: AccessScope,
    subscription: Subscription,
    today: date,
    catalog: Catalog,
) -> PeriodState:
    """The current period as it stands today. When the cycle has not advanced the
    subscription yet, the period it will be in, built by the same functions the advance uses
    (without storing anything)."""
    if subscription.current_period_end > today:
        period = anchored(subscription, subscription.current_period_start)
        return await load_period(session, scope, subscription, period)
    if subscription.cancel_at_period_end:
        raise SubscriptionStateConflict("The subscription ends at its period end.")
    period = anchored(subscription, today)
    state = PeriodState(period=period, segments=[], charges=[])
    start = max(period.start, subscription.current_period_end)
    open_segments(subscription, state, start, subscription.items)
    if in_advance(subscription):
        state.charges = [
            d.store(subscription)
            for d in settle_renewals(subscription, state, catalog, always=True)
        ]
    return state


def _quote(
    subscription: Subscription,
    item: SubscriptionItem,
    change: ItemChange,
    price_id: uuid.UUID,
    quantity: Decimal,
) -> ProrationQuote:
    adjustment = change.adjustment
    period = anchored(subscription, adjustment.on)
    return ProrationQuote(
        old_unused_credit=adjustment.credit,
        new_service_charge=adjustment.charge,
        net_amount_due=adjustment.net,
        days_remaining=adjustment.days_remaining,
        currency=subscription.currency,
        period_days=adjustment.period_days,
        proration_date=adjustment.on,
        period_start=period.start,
        period_end=period.end,
        tenant_id=subscription.tenant_id,
        subscription_id=subscription.id,
        item_id=item.id,
        old_price_id=change.old_price_id,
        new_price_id=price_id,
        old_quantity=change.old_quantity.normalize(),
        new_quantity=quantity.normalize(),
        billing_timing=BillingTiming(subscription.billing_timing),
    )


def _trial_quote(
    subscription: Subscription,
    item: SubscriptionItem,
    price_id: uuid.UUID,
    quantity: Decimal,
    today: date,
) -> ProrationQuote:
    """During a trial nothing is billed, so nothing is prorated."""
    return ProrationQuote(
        old_unused_credit=ZERO,
        new_service_charge=ZERO,
        net_amount_due=ZERO,
        days_remaining=(subscription.current_period_end - today).days,
        currency=subscription.currency,
        period_days=(subscription.current_period_end - subscription.current_period_start).days,
        proration_date=today,
        period_start=subscription.current_period_start,
        period_end=subscription.current_period_end,
        tenant_id=subscription.tenant_id,
        subscription_id=subscription.id,
        item_id=item.id,
        old_price_id=item.price_id,
        new_price_id=price_id,
        old_quantity=item.quantity.normalize(),
        new_quantity=quantity.normalize(),
        billing_timing=BillingTiming(subscription.billing_timing),
    )


subscription = SubscriptionService()
