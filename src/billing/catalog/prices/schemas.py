"""Request and response bodies of recurring prices."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import (
    BaseModel,
    Field,
    StrictBool,
    StrictInt,
    computed_field,
    field_validator,
    model_validator,
)

from billing.core.money import display_decimal, minor_unit
from billing.core.schemas import (
    CurrencyCode,
    PriceString,
    QuantityString,
    ReadSchema,
    WriteSchema,
)
from billing.models.catalog import BillingScheme, BillingTiming, PriceInterval
from billing.models.usage import UsageModel

_AMOUNT_DESCRIPTION = (
    "Net amount per period (flat) or per unit and period (per_unit), at least 0, up to 6 "
    "decimals. Metered prices: the price of a unit (per_unit) or of a package (package); "
    "tiered metered prices leave it out."
)
_METRIC_DESCRIPTION = (
    "Makes the price metered: it bills the usage of this billable metric in arrears at the "
    "end of each period (quantity 1 on the subscription)."
)
_MODEL_DESCRIPTION = (
    "How a metered price turns usage into an amount: per_unit, package (started packages of "
    "package_size), graduated or volume (tiers). Default per_unit."
)
_TIERS_DESCRIPTION = (
    "Tiers of a graduated or volume price, ascending; the last has up_to null (no limit)."
)


class TierInput(WriteSchema):
    """One tier of a graduated or volume price."""

    up_to: QuantityString | None = Field(
        default=None,
        gt=0,
        max_digits=20,
        decimal_places=6,
        description="Last unit of the tier (inclusive); null for the last tier.",
    )
    unit_amount: PriceString = Field(
        default=Decimal(0), ge=0, max_digits=20, decimal_places=6, description="Price per unit."
    )
    flat_amount: PriceString = Field(
        default=Decimal(0),
        ge=0,
        max_digits=16,
        decimal_places=4,
        description="Charged once when usage reaches the tier.",
    )


class TierRead(BaseModel):
    """One tier of a graduated or volume price."""

    up_to: QuantityString | None
    unit_amount: PriceString
    flat_amount: PriceString


def _tiers_valid(tiers: list[TierInput] | None) -> list[TierInput] | None:
    if tiers is None:
        return None
    bounds = [tier.up_to for tier in tiers]
    if bounds[-1] is not None:
        raise ValueError("the last tier has no upper bound (up_to null)")
    limited = [bound for bound in bounds[:-1] if bound is not None]
    if len(limited) != len(bounds) - 1:
        raise ValueError("only the last tier may leave up_to out")
    if any(later <= earlier for earlier, later in itertools.pairwise(limited)):
        raise ValueError("up_to must increase from tier to tier")
    return tiers


_COUNT_DESCRIPTION = "Periods of `interval` per billing period (3 x month = quarterly)."
_TRIAL_DESCRIPTION = "Free days before the first billing period of a new subscription."
_TAX_DESCRIPTION = (
    "Tax rate of the subscription lines; empty: the product's rules (destination, product "
    "rate, operator default), exactly as on any invoice line."
)


class PriceCreate(WriteSchema):
    """A new recurring price of a product."""

    product_id: uuid.UUID
    nickname: str | None = Field(default=None, min_length=1, max_length=200)
    currency: CurrencyCode | None = Field(
        default=None, description="ISO 4217; the product's currency when left out."
    )
    unit_amount: PriceString | None = Field(
        default=None, ge=0, max_digits=20, decimal_places=6, description=_AMOUNT_DESCRIPTION
    )
    billing_scheme: BillingScheme = Field(
        default=BillingScheme.PER_UNIT,
        description="per_unit: amount x quantity (seats); flat: the amount, quantity 1.",
    )
    interval: PriceInterval
    interval_count: StrictInt = Field(default=1, ge=1, le=365, description=_COUNT_DESCRIPTION)
    billing_timing: BillingTiming = Field(
        default=BillingTiming.IN_ADVANCE,
        description="in_advance: billed at the start of the period; in_arrears: at its end.",
    )
    trial_days: StrictInt = Field(default=0, ge=0, le=730, description=_TRIAL_DESCRIPTION)
    tax_rate_id: uuid.UUID | None = Field(default=None, description=_TAX_DESCRIPTION)
    active: StrictBool = True
    replaces_price_id: uuid.UUID | None = Field(
        default=None,
        description="A price this one replaces for new subscriptions: it is deactivated; "
        "subscriptions already on it keep it.",
    )
    billable_metric_id: uuid.UUID | None = Field(default=None, description=_METRIC_DESCRIPTION)
    usage_model: UsageModel | None = Field(default=None, description=_MODEL_DESCRIPTION)
    package_size: QuantityString | None = Field(
        default=None, gt=0, max_digits=20, decimal_places=6, description="Units per package."
    )
    tiers: list[TierInput] | None = Field(
        default=None, min_length=1, max_length=20, description=_TIERS_DESCRIPTION
    )

    _tiers = field_validator("tiers")(_tiers_valid)


class PriceUpdate(WriteSchema):
    """A partial update. ``nickname`` and ``active`` can always change; the terms only while
    no subscription used the price (409 ``price_in_use`` otherwise)."""

    nickname: str | None = Field(default=None, min_length=1, max_length=200)
    active: StrictBool | None = None
    unit_amount: PriceString | None = Field(
        default=None, ge=0, max_digits=20, decimal_places=6, description=_AMOUNT_DESCRIPTION
    )
    billing_scheme: BillingScheme | None = None
    interval: PriceInterval | None = None
    interval_count: StrictInt | None = Field(
        default=None, ge=1, le=365, description=_COUNT_DESCRIPTION
    )
    billing_timing: BillingTiming | None = None
    trial_days: StrictInt | None = Field(default=None, ge=0, le=730, description=_TRIAL_DESCRIPTION)
    tax_rate_id: uuid.UUID | None = Field(default=None, description=_TAX_DESCRIPTION)
    usage_model: UsageModel | None = Field(default=None, description=_MODEL_DESCRIPTION)
    package_size: QuantityString | None = Field(
        default=None, gt=0, max_digits=20, decimal_places=6, description="Units per package."
    )
    tiers: list[TierInput] | None = Field(
        default=None, min_length=1, max_length=20, description=_TIERS_DESCRIPTION
    )

    _tiers = field_validator("tiers")(_tiers_valid)


class PriceRead(ReadSchema):
    """A recurring price."""

    id: uuid.UUID
    product_id: uuid.UUID
    nickname: str | None
    currency: str
    unit_amount: PriceString
    billing_scheme: BillingScheme
    interval: PriceInterval
    interval_count: int
    billing_timing: BillingTiming
    trial_days: int
    tax_rate_id: uuid.UUID | None
    active: bool
    replaces_price_id: uuid.UUID | None
    billable_metric_id: uuid.UUID | None = Field(description="Set on metered prices.")
    usage_model: UsageModel | None
    package_size: QuantityString | None
    tiers: list[TierRead] | None
    used_at: datetime | None = Field(
        description="When a subscription first used the price; from then on its terms are frozen."
    )
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def in_use(self) -> bool:
        """True once a subscription used the price (its terms can no longer change)."""
        return self.used_at is not None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def metered(self) -> bool:
        """True for a price of usage, billed in arrears from a billable metric's events."""
        return self.billable_metric_id is not None

    @model_validator(mode="after")
    def _display_amount(self) -> PriceRead:
        # The column's scale (12.500000) is not what was sent: 12.50, or 0.0125 per unit.
        self.unit_amount = display_decimal(self.unit_amount, min_places=minor_unit(self.currency))
        if self.package_size is not None:
            self.package_size = display_decimal(self.package_size)
        return self
