"""What a subscription bills: its catalog (prices and products), the runs of each item in a
period, the charges those make, and the invoice lines the charges become.

Nothing here writes; ``periods`` and ``invoicing`` store what these functions compute, and the
upcoming invoice shows the same drafts without storing them, so a preview and the invoice
it announces are built by the same code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.catalog.prices.repository import PriceRepository
from billing.catalog.repository import ProductRepository
from billing.core.totals import line_net
from billing.invoices.schemas import LineInput
from billing.models.catalog import BillingScheme, Price, Product
from billing.models.subscription import (
    ChargeKind,
    ChargeState,
    Subscription,
    SubscriptionCharge,
    SubscriptionSegment,
)
from billing.subscriptions.proration import Adjustment, Run, exact, round_half_up
from billing.subscriptions.schedule import Period

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Catalog:
    """The prices (and their products) a subscription's items and segments refer to."""

    prices: dict[uuid.UUID, Price]
    products: dict[uuid.UUID, Product]

    def price(self, price_id: uuid.UUID) -> Price:
        """A price that must be loaded."""
        return self.prices[price_id]

    def product(self, price_id: uuid.UUID) -> Product:
        """The product of a loaded price."""
        return self.products[self.prices[price_id].product_id]


async def load_catalog(session: AsyncSession, price_ids: Iterable[uuid.UUID]) -> Catalog:
    """Prices and their products in two statements (the catalog has no tenant)."""
    prices = await PriceRepository(session).get_many(price_ids)
    products = await ProductRepository(session).get_many({p.product_id for p in prices.values()})
    return Catalog(prices=prices, products=products)


def per_period(price: Price, quantity: Decimal) -> Decimal:
    """What one whole period of this price and quantity costs (exact, not rounded); a metered
    price has no fixed amount (its usage is billed by ``billing.subscriptions.usage``)."""
    if price.metered:
        return ZERO
    if BillingScheme(price.billing_scheme) is BillingScheme.PER_UNIT:
        return price.unit_amount * quantity
    return price.unit_amount


def runs_of(segments: Iterable[SubscriptionSegment], catalog: Catalog) -> list[Run]:
    """The segments as runs with their per-period amounts."""
    return [
        Run(
            segment.start_date,
            segment.end_date,
            per_period(catalog.price(segment.price_id), segment.quantity),
            segment.quantity,
        )
        for segment in segments
    ]


@dataclass(frozen=True, slots=True)
class Draft:
    """A charge before it is stored: an amount for one item and period, with its line."""

    item_id: uuid.UUID
    price_id: uuid.UUID
    kind: ChargeKind
    period: Period
    service_start: date
    service_end: date
    amount: Decimal
    quantity: Decimal
    unit_price: Decimal
    description: str

    def store(self, subscription: Subscription) -> SubscriptionCharge:
        """The row of this charge, pending until an invoice or the wallet takes it."""
        return SubscriptionCharge(
            id=uuid.uuid4(),
            tenant_id=subscription.tenant_id,
            subscription_id=subscription.id,
            item_id=self.item_id,
            price_id=self.price_id,
            kind=self.kind.value,
            state=ChargeState.PENDING.value,
            period_start=self.period.start,
            period_end=self.period.end,
            service_start=self.service_start,
            service_end=self.service_end,
            description=self.description[:500],
            quantity=self.quantity,
            unit_price=self.unit_price,
            amount=self.amount,
        )


def _days_label(start: date, end: date) -> str:
    """``1 Mar 2027 - 31 Mar 2027`` for the days ``[start, end)``."""
    last = end - timedelta(days=1)
    return f"{start.day} {start:%b %Y} - {last.day} {last:%b %Y}"


def _line(amount: Decimal) -> tuple[Decimal, Decimal]:
    """Quantity and unit price of a one-off amount: a credit is -1 x its size (EN 16931 keeps
    item prices non-negative, BR-27)."""
    return (Decimal(-1), -amount) if amount < 0 else (Decimal(1), amount)


def renewal_draft(
    *,
    item_id: uuid.UUID,
    runs: Sequence[Run],
    period: Period,
    billed: Decimal,
    catalog: Catalog,
    price_id: uuid.UUID,
    currency: str,
    until: date | None = None,
    always: bool = False,
) -> Draft | None:
    """What is still due for an item's period: ``round(exact amount) - billed``.

    A whole period of one unchanged configuration is one line of ``quantity x unit price``
    (its net is exactly the rounded amount); anything else is one line of that amount.
    ``until`` bills only the days before it (in arrears, when ending early). ``always``
    keeps a zero amount (a renewal is invoiced even when free).
    """
    if catalog.price(price_id).metered:
        return None  # usage lines bill it
    target = round_half_up(exact(runs, period, until=until), currency)
    amount = target - billed
    if amount == 0 and not always:
        return None
    price = catalog.price(price_id)
    product = catalog.product(price_id)
    start = min((run.start for run in runs), default=period.start)
    end = until or max((run.end for run in runs), default=period.end)
    whole = (
        len(runs) == 1
        and runs[0].start == period.start
        and runs[0].end == period.end
        and until is None
        and billed == 0
    )
    quantity, unit_price = _line(amount)
    label = _days_label(start, end) if end > start else f"{period.start} - {period.end}"
    if whole:
        if BillingScheme(price.billing_scheme) is BillingScheme.PER_UNIT:
            quantity, unit_price = runs[0].quantity, price.unit_amount
        description = label
    else:
        days = sum(run.days(until) for run in runs)
        description = f"{label} ({days} of {period.days} days)"
    if line_net(quantity, unit_price, currency) != amount:
        # A whole period whose quantity x price does not round to the exact amount cannot
        # happen (both are the same product); fall back to one line of the amount.
        quantity, unit_price = _line(amount)
    if price.nickname:
        description = f"{price.nickname}, {description}"
    return Draft(
        item_id=item_id,
        price_id=price_id,
        kind=ChargeKind.RENEWAL,
        period=period,
        service_start=start,
        service_end=end,
        amount=amount,
        quantity=quantity,
        unit_price=unit_price,
        description=f"{product.name}: {description}",
    )


def adjustment_drafts(
    adjustment: Adjustment,
    *,
    item_id: uuid.UUID,
    period: Period,
    old_price_id: uuid.UUID,
    new_price_id: uuid.UUID | None,
    catalog: Catalog,
) -> list[Draft]:
    """The credit (unused days of what was billed) and the charge (remaining days of the new
    configuration) of one change; zero amounts make no charge."""
    drafts = []
    on = adjustment.on
    label = _days_label(on, period.end) if period.end > on else str(on)
    remaining = f"{label} ({adjustment.days_remaining} of {period.days} days)"
    if adjustment.credit != 0:
        quantity, unit_price = _line(-adjustment.credit)
        drafts.append(
            Draft(
                item_id=item_id,
                price_id=old_price_id,
                kind=ChargeKind.PRORATION_CREDIT,
                period=period,
                service_start=on,
                service_end=period.end,
                amount=-adjustment.credit,
                quantity=quantity,
                unit_price=unit_price,
                description=f"Unused time on {catalog.product(old_price_id).name}: {remaining}",
            )
        )
    if adjustment.charge != 0 and new_price_id is not None:
        quantity, unit_price = _line(adjustment.charge)
        drafts.append(
            Draft(
                item_id=item_id,
                price_id=new_price_id,
                kind=ChargeKind.PRORATION_CHARGE,
                period=period,
                service_start=on,
                service_end=period.end,
                amount=adjustment.charge,
                quantity=quantity,
                unit_price=unit_price,
                description=(
                    f"Remaining time on {catalog.product(new_price_id).name}: {remaining}"
                ),
            )
        )
    return drafts


@dataclass(frozen=True, slots=True)
class LineSource:
    """What an invoice line of a subscription is made from (a stored or drafted charge)."""

    item_id: uuid.UUID
    price_id: uuid.UUID
    kind: ChargeKind
    period_start: date
    period_end: date
    service_start: date
    service_end: date
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    description: str
    charge_id: uuid.UUID | None = None

    @classmethod
    def of_charge(cls, charge: SubscriptionCharge) -> LineSource:
        """A stored charge."""
        return cls(
            item_id=charge.item_id,
            price_id=charge.price_id,
            kind=ChargeKind(charge.kind),
            period_start=charge.period_start,
            period_end=charge.period_end,
            service_start=charge.service_start,
            service_end=charge.service_end,
            quantity=charge.quantity,
            unit_price=charge.unit_price,
            amount=charge.amount,
            description=charge.description,
            charge_id=charge.id,
        )

    @classmethod
    def of_draft(cls, draft: Draft) -> LineSource:
        """A charge not stored (the upcoming invoice)."""
        return cls(
            item_id=draft.item_id,
            price_id=draft.price_id,
            kind=draft.kind,
            period_start=draft.period.start,
            period_end=draft.period.end,
            service_start=draft.service_start,
            service_end=draft.service_end,
            quantity=draft.quantity,
            unit_price=draft.unit_price,
            amount=draft.amount,
            description=draft.description,
        )


def line_input(source: LineSource, subscription: Subscription, catalog: Catalog) -> LineInput:
    """The invoice line of a charge: the product's name, code, unit and tax rules (the price's
    own tax rate first), its quantity and unit price, and where it comes from."""
    price = catalog.price(source.price_id)
    product = catalog.product(source.price_id)
    fields: dict[str, Any] = {
        "product_id": product.id,
        "sku": product.code,
        "name": product.name,
        "description": source.description,
        "quantity": source.quantity,
        "unit_price": source.unit_price,
        "unit_code": product.unit_code,
        "tax_rate_id": price.tax_rate_id,
        "variant_info": {
            "subscription_id": str(subscription.id),
            "item_id": str(source.item_id),
            "price_id": str(source.price_id),
            "charge": source.kind.value,
            "period_start": source.period_start.isoformat(),
            "period_end": source.period_end.isoformat(),
            "service_start": source.service_start.isoformat(),
            "service_end": source.service_end.isoformat(),
            **({"charge_id": str(source.charge_id)} if source.charge_id else {}),
        },
    }
    if source.quantity < 0:
        # A credit line: -1 x the credit. Requests cannot send negative quantities, so the
        # line is built as validated data rather than parsed.
        return LineInput.model_construct(**fields)
    return LineInput(**fields)
