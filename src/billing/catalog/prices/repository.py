"""Every SQL statement about recurring prices (operator-wide: no tenant, no RLS)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select, update

from billing.core.clock import utcnow
from billing.core.keyset import SortOrder
from billing.core.pagination import PageOf, PageParams
from billing.core.repository import Repository
from billing.models.catalog import Price


class PriceRepository(Repository[Price]):
    """Prices."""

    model = Price

    async def get(self, price_id: uuid.UUID, *, for_update: bool = False) -> Price | None:
        """One price (locked for the transaction with ``for_update``)."""
        statement = self.base_statement().where(Price.id == price_id)
        if for_update:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def get_many(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Price]:
        """The prices among ``ids`` that exist, by id (one statement)."""
        wanted = set(ids)
        if not wanted:
            return {}
        rows = await self.get_all(self.base_statement().where(Price.id.in_(wanted)))
        return {row.id: row for row in rows}

    async def list_page(
        self,
        *,
        product_id: uuid.UUID | None,
        active: bool | None,
        currency: str | None,
        page: PageParams,
    ) -> PageOf[Price]:
        """A filtered page, newest first."""
        statement = self.base_statement()
        if product_id is not None:
            statement = statement.where(Price.product_id == product_id)
        if active is not None:
            statement = statement.where(Price.active.is_(active))
        if currency is not None:
            statement = statement.where(Price.currency == currency)
        return await self.paginate(
            statement, page, SortOrder("-created_at", Price.created_at, Price.id, descending=True)
        )

    async def count_for_product(self, product_id: uuid.UUID) -> int:
        """How many prices a product has."""
        count = await self.session.scalar(
            select(func.count()).select_from(Price).where(Price.product_id == product_id)
        )
        return int(count or 0)

    async def mark_used(self, ids: Iterable[uuid.UUID]) -> None:
        """Freeze the terms of these prices (first use by a subscription); idempotent."""
        wanted = set(ids)
        if not wanted:
            return
        await self.session.execute(
            update(Price)
            .where(Price.id.in_(wanted), Price.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )
