"""Rules of recurring prices: valid terms, frozen once used, replaced rather than edited."""

from __future__ import annotations

import uuid
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
from billing.models.catalog import BillingScheme, Price, PriceInterval

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
)


class PriceService:
    """Create, read and change recurring prices."""

    async def create(self, session: AsyncSession, *, body: PriceCreate) -> Price:
        """A new price; ``replaces_price_id`` deactivates the price it replaces."""
        product = await ProductRepository(session).get(body.product_id)
        if product is None:
            raise UnknownProduct(f"Product {body.product_id} does not exist.")
        await _check_tax_rate(session, body.tax_rate_id)
        currency = body.currency or product.currency
        _check_terms(currency, body.model_dump())
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
            unit_amount=body.unit_amount,
            billing_scheme=body.billing_scheme.value,
            interval=body.interval.value,
            interval_count=body.interval_count,
            billing_timing=body.billing_timing.value,
            trial_days=body.trial_days,
            tax_rate_id=body.tax_rate_id,
            active=body.active,
            replaces_price_id=body.replaces_price_id,
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
        _check_terms(price.currency, merged)
        for field, value in changes.items():
            setattr(price, field, value.value if hasattr(value, "value") else value)
        await repository.flush()
        return price


def _check_terms(currency: str, terms: dict[str, Any]) -> None:
    """The amount fits the currency; a billing period is at most three years."""
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
