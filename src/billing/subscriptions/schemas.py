"""Request and response bodies of the subscriptions domain."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, Field, StrictBool, StrictInt, model_validator

from billing.core.schemas import (
    MoneyString,
    PriceString,
    QuantityString,
    RateString,
    ReadSchema,
    WriteSchema,
)
from billing.invoices.schemas import LenientDate, TaxBreakdownRead
from billing.models.catalog import BillingScheme, BillingTiming, PriceInterval
from billing.models.subscription import (
    ChargeKind,
    CollectionMethod,
    CollectionState,
    SubscriptionInvoiceKind,
    SubscriptionStatus,
)
from billing.models.usage import Aggregation, UsageModel


class ProrationBehavior(StrEnum):
    """What a mid-period change does to money."""

    INVOICE_NOW = "invoice_now"  # an invoice (upgrade) or a wallet credit (downgrade) now
    NEXT_INVOICE = "next_invoice"  # credit and charge wait for the next renewal invoice
    NONE = "none"  # no proration: the change is billed from the next period on


class EndBehavior(StrEnum):
    """What cancelling or pausing now does to the current period."""

    INVOICE_NOW = "invoice_now"  # in advance: credit unused days; in arrears: bill used days
    NONE = "none"  # leave the period as billed


_QUANTITY = "Units of the price (seats); 1 for flat prices. Up to 6 decimals."


class ItemInput(WriteSchema):
    """A price and how many units of it."""

    price_id: uuid.UUID
    quantity: QuantityString = Field(
        default=Decimal(1), gt=0, max_digits=20, decimal_places=6, description=_QUANTITY
    )


class SubscriptionCreate(WriteSchema):
    """A new subscription of a tenant to one or more recurring prices."""

    tenant_id: uuid.UUID
    items: list[ItemInput] = Field(min_length=1, max_length=20)
    start_date: LenientDate | None = Field(
        default=None,
        description="First day of service (operator's time zone); today when left out. "
        "Not in the future; a past date bills the periods since then.",
    )
    billing_anchor_day: StrictInt | None = Field(
        default=None,
        ge=1,
        le=31,
        description="Day of the month periods start on (month, quarter and year prices); "
        "clamped to short months (31 -> Feb 28/29 -> Mar 31). Left out: the day billing starts.",
    )
    trial_days: StrictInt | None = Field(
        default=None,
        ge=0,
        le=730,
        description="Free days before billing starts; left out: the longest trial of the prices.",
    )
    collection_method: CollectionMethod = CollectionMethod.CHARGE_AUTOMATICALLY
    days_until_due: StrictInt | None = Field(
        default=None,
        ge=0,
        le=3650,
        description="send_invoice: days the tenant has to pay (operator default when left "
        "out); charge_automatically: invoices are due at once.",
    )
    notes: str | None = Field(default=None, max_length=2000)


class SubscriptionUpdate(WriteSchema):
    """Changes that move no money; fields left out keep their values."""

    cancel_at_period_end: StrictBool | None = None
    collection_method: CollectionMethod | None = None
    days_until_due: StrictInt | None = Field(default=None, ge=0, le=3650)
    notes: str | None = Field(default=None, max_length=2000)


class ChangeRequest(WriteSchema):
    """A new price and/or quantity for one item, with how to prorate it."""

    item_id: uuid.UUID | None = Field(
        default=None, description="The item to change; may be left out when there is one."
    )
    price_id: uuid.UUID | None = Field(
        default=None, description="The new price (same currency, interval and timing)."
    )
    quantity: QuantityString | None = Field(
        default=None, gt=0, max_digits=20, decimal_places=6, description=_QUANTITY
    )
    proration_behavior: ProrationBehavior = ProrationBehavior.NEXT_INVOICE

    @model_validator(mode="after")
    def _something(self) -> ChangeRequest:
        if self.price_id is None and self.quantity is None:
            raise ValueError("send price_id, quantity or both")
        return self


class SubscriptionCancelRequest(WriteSchema):
    """Cancel now, or at the end of the current period."""

    at_period_end: StrictBool = False
    proration_behavior: EndBehavior = Field(
        default=EndBehavior.INVOICE_NOW,
        description="Cancelling now: invoice_now credits the unused days to the wallet "
        "(in advance) or bills the days used (in arrears); none leaves the period as billed.",
    )
    reason: str | None = Field(default=None, max_length=100)


class PauseRequest(WriteSchema):
    """Pause billing now."""

    proration_behavior: EndBehavior = Field(
        default=EndBehavior.INVOICE_NOW,
        description="invoice_now credits the unused days to the wallet (in advance) or bills "
        "the days used (in arrears); none leaves the period as billed.",
    )


class ResumeRequest(WriteSchema):
    """Resume a paused subscription today."""

    proration_behavior: ProrationBehavior = Field(
        default=ProrationBehavior.INVOICE_NOW,
        description="invoice_now bills the rest of the current period now; next_invoice adds "
        "it to the next renewal; none bills from the next period on.",
    )


class ProrationQuoteRequest(WriteSchema):
    """Seed 003's proration calculation: a subscriber (tenant) and a new service (price)."""

    tenant_id: uuid.UUID = Field(
        validation_alias=AliasChoices("tenant_id", "subscriber_id"),
        description="The subscriber; also accepted as 'subscriber_id' (seed 003).",
    )
    price_id: uuid.UUID | None = Field(
        default=None,
        validation_alias=AliasChoices("price_id", "new_price_id", "new_service_id"),
        description="The new price; also accepted as 'new_price_id' or 'new_service_id' "
        "(seed 003). Left out: the item's price (a quantity change).",
    )
    quantity: QuantityString | None = Field(
        default=None, gt=0, max_digits=20, decimal_places=6, description=_QUANTITY
    )
    subscription_id: uuid.UUID | None = Field(
        default=None, description="Needed when the tenant has several live subscriptions."
    )
    item_id: uuid.UUID | None = Field(
        default=None, description="Needed when the subscription has several items."
    )

    @model_validator(mode="before")
    @classmethod
    def _one_name_each(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for names in (
                ("tenant_id", "subscriber_id"),
                ("price_id", "new_price_id", "new_service_id"),
            ):
                # Compared by equality, not hashed: a value may be any JSON, an object too.
                given = [data[name] for name in names if data.get(name) is not None]
                if any(value != given[0] for value in given[1:]):
                    raise ValueError(f"{' and '.join(names)} name the same thing; send one")
        return data

    @model_validator(mode="after")
    def _something(self) -> ProrationQuoteRequest:
        if self.price_id is None and self.quantity is None:
            raise ValueError("send new_service_id (price_id), quantity or both")
        return self


class ProrationQuote(ReadSchema):
    """What a change would bill, net of VAT (seed 003's four numbers first).

    ``net_amount_due`` is ``new_service_charge - old_unused_credit``; negative means a credit.
    In advance it is invoiced now or on the next invoice; in arrears it is what the period-end
    invoice changes by.
    """

    old_unused_credit: MoneyString
    new_service_charge: MoneyString
    net_amount_due: MoneyString
    days_remaining: int
    currency: str
    period_days: int
    proration_date: date
    period_start: date
    period_end: date
    tenant_id: uuid.UUID
    subscription_id: uuid.UUID
    item_id: uuid.UUID
    old_price_id: uuid.UUID
    new_price_id: uuid.UUID
    old_quantity: QuantityString
    new_quantity: QuantityString
    billing_timing: BillingTiming


class ItemRead(ReadSchema):
    """An item of a subscription with its price's terms."""

    id: uuid.UUID
    price_id: uuid.UUID
    product_id: uuid.UUID
    name: str
    nickname: str | None
    quantity: QuantityString
    unit_amount: PriceString
    billing_scheme: BillingScheme


class SubscriptionRead(ReadSchema):
    """A subscription."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    status: SubscriptionStatus
    currency: str
    interval: PriceInterval
    interval_count: int
    billing_timing: BillingTiming
    collection_method: CollectionMethod
    days_until_due: int | None
    start_date: date
    billing_anchor_day: int
    billing_anchor: date = Field(description="The first period boundary; all others follow it.")
    trial_end: date | None
    current_period_start: date
    current_period_end: date
    next_invoice_date: date | None = Field(
        description="When the next renewal invoice is issued; null when none will be."
    )
    cancel_at_period_end: bool
    cancelled_at: datetime | None
    ended_at: date | None
    cancellation_reason: str | None
    paused_at: datetime | None
    notes: str | None
    items: list[ItemRead]
    created_at: datetime
    updated_at: datetime


class SubscriptionInvoiceRead(ReadSchema):
    """An invoice a subscription produced and the state of its collection."""

    id: uuid.UUID
    subscription_id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_number: str | None
    kind: SubscriptionInvoiceKind
    period_start: date | None
    period_end: date | None
    currency: str
    total_amount: MoneyString
    balance: MoneyString
    collection_state: CollectionState
    attempt_count: int
    next_attempt_at: datetime | None
    last_failure_code: str | None
    last_failure_message: str | None
    created_at: datetime


class ChangeResult(ReadSchema):
    """A subscription after a change, pause, resume or cancellation, with what it billed."""

    subscription: SubscriptionRead
    proration: ProrationQuote | None = Field(
        description="For a change: the quote it applied (equal to what was billed)."
    )
    invoice_id: uuid.UUID | None = Field(description="The invoice issued now, if any.")
    currency: str
    wallet_credit: MoneyString = Field(description="Credited to the tenant's wallet now (gross).")
    pending_amount: MoneyString = Field(
        description="Net amount waiting for the next invoice (negative: a credit)."
    )


class UpcomingLineKind(StrEnum):
    """Where a line of the upcoming invoice comes from."""

    SUBSCRIPTION = "subscription"
    PRORATION = "proration"
    USAGE = "usage"


class UpcomingLineRead(ReadSchema):
    """A line of the upcoming invoice, as it will be issued."""

    kind: UpcomingLineKind
    charge_kind: ChargeKind | None
    name: str
    description: str | None
    product_id: uuid.UUID | None
    price_id: uuid.UUID | None
    item_id: uuid.UUID | None
    quantity: QuantityString
    unit_price: PriceString
    tax_rate: RateString
    tax_category: str
    line_total: MoneyString
    service_start: date | None
    service_end: date | None
    currency: str


class UpcomingInvoiceRead(ReadSchema):
    """The next invoice of a tenant's subscription, computed now with the invoice rules."""

    tenant_id: uuid.UUID
    subscription_id: uuid.UUID
    currency: str
    issue_date: date = Field(description="When the billing cycle will issue it.")
    period_start: date
    period_end: date
    lines: list[UpcomingLineRead]
    tax_breakdown: list[TaxBreakdownRead]
    subtotal: MoneyString
    tax_amount: MoneyString
    total_amount: MoneyString
    wallet_credit_applied: MoneyString = Field(
        description="What the tenant's wallet would pay of it, at today's wallet balance."
    )
    amount_due: MoneyString = Field(description="total_amount - wallet_credit_applied.")
    usage_metered: bool = Field(
        description="Whether usage lines are part of the estimate (false until usage "
        "metering exists)."
    )
    other_subscriptions: list[uuid.UUID] = Field(
        description="Other subscriptions of the tenant that will also invoice (ask with "
        "subscription_id)."
    )


class UsageMetricRead(ReadSchema):
    """The usage of one metered item since its last invoice, priced."""

    item_id: uuid.UUID
    price_id: uuid.UUID
    metric_id: uuid.UUID
    code: str
    name: str
    aggregation: Aggregation
    usage_model: UsageModel
    quantity: QuantityString
    amount: MoneyString = Field(description="Net, as the invoice lines will bill it.")
    currency: str


class SubscriptionUsageRead(ReadSchema):
    """The metered usage of one subscription not invoiced yet."""

    subscription_id: uuid.UUID
    currency: str
    period_start: date
    period_end: date
    usage_from: datetime = Field(description="Usage counted from here is not invoiced yet.")
    usage_to: datetime = Field(description="Now: the usage shown is counted up to here.")
    metrics: list[UsageMetricRead]
    amount: MoneyString = Field(description="Net of all the metrics.")


class UsageRead(ReadSchema):
    """A tenant's current usage: per subscription with metered prices, per metric."""

    tenant_id: uuid.UUID
    subscriptions: list[SubscriptionUsageRead]
