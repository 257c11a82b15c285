"""Every SQL statement about tax rates and products.

The catalog is operator-wide (no ``tenant_id``, no row-level security), so these are plain
``Repository`` subclasses. The invoicing service reads the catalog through ``get``,
``get_many`` and ``ProductRepository.get_many_by_code``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from billing.core.keyset import SortOrder
from billing.core.pagination import PageOf, PageParams
from billing.core.repository import LIKE_ESCAPE, Repository, contains_pattern
from billing.core.totals import VatCategory
from billing.models.catalog import Product, TaxRate

PRODUCT_CODE_CONSTRAINT = "uq_products_code"


def violated_constraint(error: IntegrityError) -> str | None:
    """The name of the constraint behind an ``IntegrityError`` (asyncpg reports it)."""
    driver_error = getattr(error.orig, "orig", None) or getattr(error.orig, "__cause__", None)
    name = getattr(driver_error, "constraint_name", None)
    return name if isinstance(name, str) else None


class TaxRateRepository(Repository[TaxRate]):
    """Tax rates."""

    model = TaxRate

    async def get(self, tax_rate_id: uuid.UUID) -> TaxRate | None:
        """One tax rate."""
        return await self.get_one_or_none(self.base_statement().where(TaxRate.id == tax_rate_id))

    async def get_many(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, TaxRate]:
        """The tax rates among ``ids`` that exist, by id (one statement)."""
        wanted = set(ids)
        if not wanted:
            return {}
        rows = await self.get_all(self.base_statement().where(TaxRate.id.in_(wanted)))
        return {row.id: row for row in rows}

    async def list_page(
        self,
        *,
        active: bool | None,
        category: VatCategory | None,
        country_code: str | None,
        page: PageParams,
    ) -> PageOf[TaxRate]:
        """A filtered page, by country, category, rate and name."""
        statement = self.base_statement()
        if active is not None:
            statement = statement.where(TaxRate.active.is_(active))
        if category is not None:
            statement = statement.where(TaxRate.category == category.value)
        if country_code is not None:
            statement = statement.where(TaxRate.country_code == country_code)
        statement = statement.order_by(
            TaxRate.country_code.nulls_first(),
            TaxRate.category,
            TaxRate.rate.desc(),
            TaxRate.name,
            TaxRate.id,
        )
        return await self.paginate(statement, page, None)

    async def delete(self, tax_rate: TaxRate) -> None:
        """Remove the row (a product still pointing at it fails the flush)."""
        await self.session.delete(tax_rate)
        await self.session.flush()


class ProductRepository(Repository[Product]):
    """Products."""

    model = Product

    async def get(self, product_id: uuid.UUID) -> Product | None:
        """One product."""
        return await self.get_one_or_none(self.base_statement().where(Product.id == product_id))

    async def get_many(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Product]:
        """The products among ``ids`` that exist, by id (one statement)."""
        wanted = set(ids)
        if not wanted:
            return {}
        rows = await self.get_all(self.base_statement().where(Product.id.in_(wanted)))
        return {row.id: row for row in rows}

    async def get_many_by_code(self, codes: Iterable[str]) -> dict[str, Product]:
        """The products among ``codes`` that exist, by code (one statement)."""
        wanted = set(codes)
        if not wanted:
            return {}
        rows = await self.get_all(self.base_statement().where(Product.code.in_(wanted)))
        return {row.code: row for row in rows}

    async def count_using_tax_rate(self, tax_rate_id: uuid.UUID) -> int:
        """How many products reference the tax rate."""
        count = await self.session.scalar(
            select(func.count()).select_from(Product).where(Product.tax_rate_id == tax_rate_id)
        )
        return int(count or 0)

    async def list_page(
        self,
        *,
        active: bool | None,
        q: str | None,
        currency: str | None,
        page: PageParams,
    ) -> PageOf[Product]:
        """A filtered page, by code."""
        statement = self.base_statement()
        if active is not None:
            statement = statement.where(Product.active.is_(active))
        if q:
            pattern = contains_pattern(q)
            statement = statement.where(
                or_(
                    Product.code.ilike(pattern, escape=LIKE_ESCAPE),
                    Product.name.ilike(pattern, escape=LIKE_ESCAPE),
                )
            )
        if currency is not None:
            statement = statement.where(Product.currency == currency)
        return await self.paginate(statement, page, SortOrder("code", Product.code, Product.id))

    async def delete(self, product: Product) -> None:
        """Remove the row; invoice lines keep their own copy of the product's data."""
        await self.session.delete(product)
        await self.session.flush()
