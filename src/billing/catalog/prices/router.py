"""Admin routes for recurring prices (``/api/v1/admin/prices``).

Staff read prices; only admins create or change them (``catalog:write``). Prices are never
deleted: deactivate one, or replace it, and subscriptions already on it keep it.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from billing.auth.dependencies import StaffScope, require
from billing.auth.principal import Permission
from billing.catalog.errors import TaxRateInactive, UnknownTaxRate
from billing.catalog.prices.errors import (
    PriceInUse,
    PriceInvalid,
    PriceNotFound,
    UnknownPrice,
    UnknownProduct,
)
from billing.catalog.prices.schemas import PriceCreate, PriceRead, PriceUpdate
from billing.catalog.prices.service import price as price_service
from billing.core.envelope import ApiResponse, ListResponse, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.pagination import Page
from billing.core.schemas import CurrencyCode
from billing.core.session import Session
from billing.metering.errors import UnknownMetric
from billing.routing import TransactionalRoute

router = GatedRouter(prefix="/prices", tags=["prices"], route_class=TransactionalRoute)


@router.post(
    "",
    name="prices_create",
    status_code=201,
    dependencies=[require(Permission.CATALOG_WRITE)],
    responses=error_responses(
        UnknownProduct, UnknownPrice, UnknownTaxRate, TaxRateInactive, PriceInvalid, UnknownMetric
    ),
)
async def create_price(
    body: PriceCreate, scope: StaffScope, session: Session
) -> ApiResponse[PriceRead]:
    """Create a recurring price of a product (``replaces_price_id`` retires an older one)."""
    created = await price_service.create(session, body=body)
    return ApiResponse(data=PriceRead.model_validate(created))


@router.get("", name="prices_list", dependencies=[require(Permission.CATALOG_READ)])
async def list_prices(
    scope: StaffScope,
    session: Session,
    page: Page,
    product_id: uuid.UUID | None = None,
    active: bool | None = None,
    currency: Annotated[CurrencyCode | None, Query(description="ISO 4217.")] = None,
) -> ListResponse[PriceRead]:
    """List prices, newest first."""
    result = await price_service.list(
        session,
        product_id=product_id,
        active=active,
        currency=currency,
        page=page,
    )
    return ListResponse.from_page(result, page=page, read=PriceRead.model_validate)


@router.get(
    "/{price_id}",
    name="prices_get",
    dependencies=[require(Permission.CATALOG_READ)],
    responses=error_responses(PriceNotFound),
)
async def get_price(
    price_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[PriceRead]:
    """One price."""
    found = await price_service.get(session, price_id=price_id)
    return ApiResponse(data=PriceRead.model_validate(found))


@router.patch(
    "/{price_id}",
    name="prices_update",
    dependencies=[require(Permission.CATALOG_WRITE)],
    responses=error_responses(
        PriceNotFound, PriceInUse, PriceInvalid, UnknownTaxRate, TaxRateInactive
    ),
)
async def update_price(
    price_id: uuid.UUID, body: PriceUpdate, scope: StaffScope, session: Session
) -> ApiResponse[PriceRead]:
    """Change a price: nickname and active always, its terms only until a subscription used it."""
    updated = await price_service.update(session, price_id=price_id, body=body)
    return ApiResponse(data=PriceRead.model_validate(updated))
