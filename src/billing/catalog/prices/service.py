"""Rules of recurring prices: valid terms, frozen once used, replaced rather than edited."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.catalog.errors import TaxRateInactive, UnknownTaxRate
from billing.catalog.prices.errors import (
    PriceInUse,
    PriceInvalid,
    PriceNotFound,
    UnknownPrice,
    UnknownProduct,
)
from billing.catalog.prices.repository import PriceRepository
from billing.catalog.prices.schemas import PriceCreate, PriceUpdate
from billing.catalog.repository import ProductRepository, TaxRateRepository
from billing.core.money import minor_unit, quantum
from billing.core.pagination import PageOf, PageParams
from billing.metering.errors import UnknownMetric
from billing.metering.repository import MetricRepository
from billing.models.catalog import BillingScheme, BillingTiming, Price, PriceInterval
from billing.models.usage import UsageModel

# The longest billing period a price may have; keeps every schedule small and plausible.
MAX_PERIOD_DAYS = 3 * 366
_DAYS_PER = {
    PriceInterval.DAY: 1,
    PriceInterval.WEEK: 7,
    PriceInterval.MONTH: 31,
    PriceInterval.QUARTER: 92,
    PriceInterval.YEAR: 366,
}
# The terms a subscription relies on: frozen once the price is used.
TERMS = (
    "unit_amount",
    "billing_scheme",
    "interval",
    "interval_count",
    "billing_timing",
    "trial_days",
    "tax_rate_id",
    "usage_model",
    "package_size",
    "tiers",
)
_TIERED = frozenset({UsageModel.GRADUATED, UsageModel.VOLUME})


class PriceService:
    """Create, read and change recurring prices."""

    async def create(self, session: AsyncSession, *, body: PriceCreate) -> Price:
        """A new price; ``replaces_price_id`` deactivates the price it replaces."""
        product = await ProductRepository(session).get(body.product_id)
        if product is None:
            raise UnknownProduct(f"Product {body.product_id} does not exist.")
        await _check_tax_rate(session, body.tax_rate_id)
        currency = body.currency or product.currency
        terms = body.model_dump()
        if body.billable_metric_id is not None:
            metric = await MetricRepository(session).get(body.billable_metric_id)
            if metric is None:
                raise UnknownMetric(f"Billable metric {body.billable_metric_id} does not exist.")
            terms["usage_model"] = body.usage_model or UsageModel.PER_UNIT
            if "billing_timing" not in body.model_fields_set:
                # Usage is known once the period is over: metered prices bill in arrears.
                terms["billing_timing"] = BillingTiming.IN_ARREARS
        if terms["unit_amount"] is None and terms["usage_model"] not in _TIERED:
            raise PriceInvalid("unit_amount is required (except for graduated and volume prices).")
        terms["unit_amount"] = terms["unit_amount"] or Decimal(0)
        terms["tiers"] = _stored_tiers(terms["tiers"])
        _check_terms(currency, terms)
        repository = PriceRepository(session)
        if body.replaces_price_id is not None:
            replaced = await repository.get(body.replaces_price_id, for_update=True)
            if replaced is None:
                raise UnknownPrice(f"Price {body.replaces_price_id} does not exist.")
            if replaced.product_id != product.id:
                raise PriceInvalid("A price can only replace another price of the same product.")
            replaced.active = False
        price = Price(
            id=uuid.uuid4(),
            product_id=product.id,
            nickname=body.nickname,
            currency=currency,
            unit_amount=terms["unit_amount"],
            billing_scheme=body.billing_scheme.value,
            interval=body.interval.value,
            interval_count=body.interval_count,
            billing_timing=BillingTiming(terms["billing_timing"]).value,
            trial_days=body.trial_days,
            tax_rate_id=body.tax_rate_id,
            active=body.active,
            replaces_price_id=body.replaces_price_id,
            billable_metric_id=body.billable_metric_id,
            usage_model=terms["usage_model"],
            package_size=body.package_size,
            tiers=terms["tiers"],
        )
        return await repository.create(price)

    async def get(self, session: AsyncSession, *, price_id: uuid.UUID) -> Price:
        """A price, or ``PriceNotFound``."""
        price = await PriceRepository(session).get(price_id)
        if price is None:
            raise PriceNotFound
        return price

    async def list(
        self,
        session: AsyncSession,
        *,
        product_id: uuid.UUID | None,
        active: bool | None,
        currency: str | None,
        page: PageParams,
    ) -> PageOf[Price]:
        """A filtered page of prices."""
        return await PriceRepository(session).list_page(
            product_id=product_id, active=active, currency=currency, page=page
        )

    async def update(
        self, session: AsyncSession, *, price_id: uuid.UUID, body: PriceUpdate
    ) -> Price:
        """Apply the fields that were sent; terms only while no subscription used the price."""
        repository = PriceRepository(session)
        price = await repository.get(price_id, for_update=True)
        if price is None:
            raise PriceNotFound
        changes = body.model_dump(exclude_unset=True)
        if "tiers" in changes:
            changes["tiers"] = _stored_tiers(changes["tiers"])
        for field in ("active", *TERMS):
            if field != "tax_rate_id" and field in changes and changes[field] is None:
                changes.pop(field)
        changed_terms = [
            field for field in TERMS if field in changes and changes[field] != getattr(price, field)
        ]
        if changed_terms and price.used_at is not None:
            raise PriceInUse(
                f"Subscriptions use this price, so {', '.join(changed_terms)} cannot change; "
                "create a new price with replaces_price_id instead."
            )
        if "tax_rate_id" in changes and changes["tax_rate_id"] != price.tax_rate_id:
            await _check_tax_rate(session, changes["tax_rate_id"])
        merged = {field: changes.get(field, getattr(price, field)) for field in TERMS}
        merged["billable_metric_id"] = price.billable_metric_id
        if price.billable_metric_id is None and any(
            changes.get(field) is not None for field in ("usage_model", "package_size", "tiers")
        ):
            raise PriceInvalid("usage_model, package_size and tiers are for metered prices.")
        _check_terms(price.currency, merged)
        for field, value in changes.items():
            setattr(price, field, value.value if hasattr(value, "value") else value)
        await repository.flush()
        return price


def _stored_tiers(tiers: list[dict[str, Any]] | None) -> list[dict[str, str | None]] | None:
    """Tiers as a price stores them: decimal strings, never floats."""
    if tiers is None:
        return None
    return [
        {
            "up_to": None if tier.get("up_to") is None else str(tier["up_to"]),
            "unit_amount": str(tier.get("unit_amount", 0)),
            "flat_amount": str(tier.get("flat_amount", 0)),
        }
        for tier in tiers
    ]


def _check_usage_terms(currency: str, terms: dict[str, Any]) -> None:
    """A metered price's model has what it needs and nothing it does not."""
    if terms.get("billable_metric_id") is None:
        if terms.get("usage_model") or terms.get("package_size") or terms.get("tiers"):
            raise PriceInvalid(
                "usage_model, package_size and tiers are for metered prices (billable_metric_id)."
            )
        return
    model = UsageModel(terms["usage_model"])
    if BillingTiming(terms["billing_timing"]) is not BillingTiming.IN_ARREARS:
        raise PriceInvalid("A metered price bills usage at the end of its period: in_arrears.")
    if BillingScheme(terms["billing_scheme"]) is not BillingScheme.PER_UNIT:
        raise PriceInvalid("A metered price uses billing_scheme per_unit (its usage model).")
    if model is UsageModel.PACKAGE and terms.get("package_size") is None:
        raise PriceInvalid("A package price needs package_size.")
    if model is not UsageModel.PACKAGE and terms.get("package_size") is not None:
        raise PriceInvalid("package_size is for package prices.")
    tiers = terms.get("tiers")
    if model in _TIERED:
        if not tiers:
            raise PriceInvalid(f"A {model.value} price needs tiers.")
        if terms["unit_amount"]:
            raise PriceInvalid(f"A {model.value} price is priced by its tiers; omit unit_amount.")
        for position, tier in enumerate(tiers):
            flat = Decimal(str(tier["flat_amount"]))
            if flat != flat.quantize(quantum(currency)):
                raise PriceInvalid(
                    f"tiers[{position}].flat_amount is money: at most {minor_unit(currency)} "
                    f"decimals in {currency}."
                )
    elif tiers:
        raise PriceInvalid("tiers are for graduated and volume prices.")


def _check_terms(currency: str, terms: dict[str, Any]) -> None:
    """The amount fits the currency; a billing period is at most three years; a metered
    price's model is complete."""
    _check_usage_terms(currency, terms)
    amount = terms["unit_amount"]
    scheme = BillingScheme(terms["billing_scheme"])
    if scheme is BillingScheme.FLAT and amount != amount.quantize(quantum(currency)):
        raise PriceInvalid(
            f"A flat amount is money: at most {minor_unit(currency)} decimals in {currency}."
        )
    days = _DAYS_PER[PriceInterval(terms["interval"])] * int(terms["interval_count"])
    if days > MAX_PERIOD_DAYS:
        raise PriceInvalid("A billing period can be at most three years long.")


async def _check_tax_rate(session: AsyncSession, tax_rate_id: uuid.UUID | None) -> None:
    if tax_rate_id is None:
        return
    tax_rate = await TaxRateRepository(session).get(tax_rate_id)
    if tax_rate is None:
        raise UnknownTaxRate(f"Tax rate {tax_rate_id} does not exist.")
    if not tax_rate.active:
        raise TaxRateInactive


price = PriceService()
