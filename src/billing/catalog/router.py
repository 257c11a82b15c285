"""Admin routes for the catalog (``/api/v1/admin/tax-rates`` and ``/api/v1/admin/products``).

Staff (admins and resellers) read the catalog; only admins change or delete it.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from billing.auth.dependencies import StaffScope, require
from billing.auth.principal import Permission
from billing.catalog.dependencies import AdminScope
from billing.catalog.errors import (
    InvalidTaxRate,
    ProductCodeTaken,
    ProductInUse,
    ProductNotFound,
    TaxRateInactive,
    TaxRateInUse,
    TaxRateNotFound,
    UnknownTaxRate,
)
from billing.catalog.schemas import (
    CatalogDeleted,
    ProductCreate,
    ProductRead,
    ProductUpdate,
    TaxRateCreate,
    TaxRateRead,
    TaxRateUpdate,
)
from billing.catalog.service import product as product_service
from billing.catalog.service import tax_rate as tax_rate_service
from billing.core.envelope import ApiResponse, ListResponse, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.pagination import Page
from billing.core.schemas import CountryCode, CurrencyCode
from billing.core.session import Session
from billing.core.totals import VatCategory
from billing.routing import TransactionalRoute

tax_rates_router = GatedRouter(
    prefix="/tax-rates", tags=["tax-rates"], route_class=TransactionalRoute
)
products_router = GatedRouter(prefix="/products", tags=["products"], route_class=TransactionalRoute)


@tax_rates_router.post(
    "",
    name="tax_rates_create",
    status_code=201,
    dependencies=[require(Permission.CATALOG_WRITE)],
    responses=error_responses(InvalidTaxRate),
)
async def create_tax_rate(
    body: TaxRateCreate, scope: StaffScope, session: Session
) -> ApiResponse[TaxRateRead]:
    """Create a tax rate (rate, EN 16931 category and exemption reason must agree)."""
    created = await tax_rate_service.create(session, body=body)
    return ApiResponse(data=TaxRateRead.model_validate(created))


@tax_rates_router.get("", name="tax_rates_list", dependencies=[require(Permission.CATALOG_READ)])
async def list_tax_rates(
    scope: StaffScope,
    session: Session,
    page: Page,
    active: bool | None = None,
    category: VatCategory | None = None,
    country_code: Annotated[CountryCode | None, Query(description="ISO 3166-1 alpha-2.")] = None,
) -> ListResponse[TaxRateRead]:
    """List tax rates by country, category and rate."""
    result = await tax_rate_service.list(
        session,
        active=active,
        category=category,
        country_code=country_code,
        page=page,
    )
    return ListResponse.from_page(result, page=page, read=TaxRateRead.model_validate)


@tax_rates_router.get(
    "/{tax_rate_id}",
    name="tax_rates_get",
    dependencies=[require(Permission.CATALOG_READ)],
    responses=error_responses(TaxRateNotFound),
)
async def get_tax_rate(
    tax_rate_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[TaxRateRead]:
    """One tax rate."""
    found = await tax_rate_service.get(session, tax_rate_id=tax_rate_id)
    return ApiResponse(data=TaxRateRead.model_validate(found))


@tax_rates_router.patch(
    "/{tax_rate_id}",
    name="tax_rates_update",
    dependencies=[require(Permission.CATALOG_WRITE)],
    responses=error_responses(TaxRateNotFound, InvalidTaxRate),
)
async def update_tax_rate(
    tax_rate_id: uuid.UUID, body: TaxRateUpdate, scope: StaffScope, session: Session
) -> ApiResponse[TaxRateRead]:
    """Change a tax rate; fields left out keep their values."""
    updated = await tax_rate_service.update(session, tax_rate_id=tax_rate_id, body=body)
    return ApiResponse(data=TaxRateRead.model_validate(updated))


@tax_rates_router.delete(
    "/{tax_rate_id}",
    name="tax_rates_delete",
    dependencies=[require(Permission.CATALOG_WRITE)],
    responses=error_responses(TaxRateNotFound, TaxRateInUse),
)
async def delete_tax_rate(
    tax_rate_id: uuid.UUID, scope: AdminScope, session: Session
) -> ApiResponse[CatalogDeleted]:
    """Delete a tax rate that no product uses (admins only)."""
    await tax_rate_service.delete(session, tax_rate_id=tax_rate_id)
    return ApiResponse(data=CatalogDeleted(id=tax_rate_id))


@products_router.post(
    "",
    name="products_create",
    status_code=201,
    dependencies=[require(Permission.CATALOG_WRITE)],
    responses=error_responses(UnknownTaxRate, TaxRateInactive, ProductCodeTaken),
)
async def create_product(
    body: ProductCreate, scope: StaffScope, session: Session
) -> ApiResponse[ProductRead]:
    """Create a product with a unique code (also accepted as ``sku``)."""
    created = await product_service.create(session, body=body)
    return ApiResponse(data=ProductRead.model_validate(created))


@products_router.get("", name="products_list", dependencies=[require(Permission.CATALOG_READ)])
async def list_products(
    scope: StaffScope,
    session: Session,
    page: Page,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Code or name.")] = None,
    currency: Annotated[CurrencyCode | None, Query(description="ISO 4217.")] = None,
) -> ListResponse[ProductRead]:
    """List products by code."""
    result = await product_service.list(session, active=active, q=q, currency=currency, page=page)
    return ListResponse.from_page(result, page=page, read=ProductRead.model_validate)


@products_router.get(
    "/{product_id}",
    name="products_get",
    dependencies=[require(Permission.CATALOG_READ)],
    responses=error_responses(ProductNotFound),
)
async def get_product(
    product_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[ProductRead]:
    """One product."""
    found = await product_service.get(session, product_id=product_id)
    return ApiResponse(data=ProductRead.model_validate(found))


@products_router.patch(
    "/{product_id}",
    name="products_update",
    dependencies=[require(Permission.CATALOG_WRITE)],
    responses=error_responses(ProductNotFound, UnknownTaxRate, TaxRateInactive, ProductCodeTaken),
)
async def update_product(
    product_id: uuid.UUID, body: ProductUpdate, scope: StaffScope, session: Session
) -> ApiResponse[ProductRead]:
    """Change a product; fields left out keep their values."""
    updated = await product_service.update(session, product_id=product_id, body=body)
    return ApiResponse(data=ProductRead.model_validate(updated))


@products_router.delete(
    "/{product_id}",
    name="products_delete",
    dependencies=[require(Permission.CATALOG_WRITE)],
    responses=error_responses(ProductNotFound, ProductInUse),
)
async def delete_product(
    product_id: uuid.UUID, scope: AdminScope, session: Session
) -> ApiResponse[CatalogDeleted]:
    """Delete a product for good (admins only); issued invoices keep their copy.

    A product with recurring prices cannot be deleted (409 ``product_in_use``).
    """
    await product_service.delete(session, product_id=product_id)
    return ApiResponse(data=CatalogDeleted(id=product_id))
