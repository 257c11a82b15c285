"""The repository base: every statement of a domain lives in its repository.

Tenant-owned tables use ``billing.repositories.ScopedRepository``, which adds the scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.base import ExecutableOption

from billing.core.keyset import InvalidCursor, SortOrder
from billing.core.pagination import PageOf, PageParams

M = TypeVar("M", bound=DeclarativeBase)


class Repository(Generic[M]):
    """Common reads and writes for one model. Flushes, never commits."""

    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def base_statement(self, *, eager: Sequence[ExecutableOption] | None = None) -> Select[M]:
        """``SELECT model`` with the repository's eager loads (or ``eager`` instead)."""
        return select(self.model).options(*(self.eager_options() if eager is None else eager))

    def eager_options(self) -> Sequence[ExecutableOption]:
        """Loader options every read of this repository needs (relationships are lazy=raise)."""
        return ()

    async def get_one_or_none(self, statement: Select[M]) -> M | None:
        """The single row of ``statement`` or ``None``."""
        result = await self.session.execute(statement)
        return result.unique().scalar_one_or_none()

    async def get_all(self, statement: Select[M]) -> Sequence[M]:
        """Every row of ``statement``."""
        result = await self.session.execute(statement)
        return result.unique().scalars().all()

    async def paginate(
        self, statement: Select[M], page: PageParams, order: SortOrder | None
    ) -> PageOf[M]:
        """One page of ``statement`` in ``order``: by cursor or page number, counted if asked.

        One statement for the page (one more row than asked tells whether another follows),
        one for the count when ``page.include_total``. With ``order`` None the statement keeps
        its own ORDER BY and pages by number only.
        """
        total: int | None = None
        if page.include_total:
            counted = await self.session.scalar(
                select(func.count()).select_from(statement.order_by(None).options().subquery())
            )
            total = int(counted or 0)
        rows = await self.get_all(self.page_statement(statement, page, order))
        items = rows[: page.per_page]
        has_next = len(rows) > page.per_page
        return PageOf(
            items=items,
            total=total,
            has_next=has_next,
            next_cursor=order.cursor_of(items[-1]) if has_next and order is not None else None,
        )

    async def paginate_rows(
        self, statement: Select[*tuple[Any, ...]], page: PageParams
    ) -> PageOf[Row[*tuple[Any, ...]]]:
        """One page of rows of an ordered ``statement`` (joined columns, not one model):
        by page number only.

        Raises:
            InvalidCursor: a cursor was sent.
        """
        if page.cursor is not None:
            raise InvalidCursor("This list pages by page number only; send page, not cursor.")
        total: int | None = None
        if page.include_total:
            counted = await self.session.scalar(
                select(func.count()).select_from(statement.order_by(None).subquery())
            )
            total = int(counted or 0)
        result = await self.session.execute(statement.limit(page.per_page + 1).offset(page.offset))
        rows = result.all()
        return PageOf(
            items=rows[: page.per_page],
            total=total,
            has_next=len(rows) > page.per_page,
            next_cursor=None,
        )

    @staticmethod
    def page_statement(
        statement: Select[M], page: PageParams, order: SortOrder | None
    ) -> Select[M]:
        """The rows of one page, and one more (it tells whether another page follows).

        Raises:
            InvalidCursor: the cursor is not one of this list's (or the list has no order).
        """
        ordered = statement
        if order is not None:
            ordered = statement.order_by(*order.order_by())
            if page.cursor is not None:
                ordered = ordered.where(order.after(order.decode(page.cursor)))
        elif page.cursor is not None:
            raise InvalidCursor("This list pages by page number only; send page, not cursor.")
        return ordered.limit(page.per_page + 1).offset(page.offset)

    async def create(self, instance: M, *, flush: bool = True) -> M:
        """Add ``instance``; flush so database defaults and constraints apply now."""
        self.session.add(instance)
        if flush:
            await self.session.flush()
        return instance

    async def flush(self) -> None:
        """Send pending changes (constraint errors surface here, inside the transaction)."""
        await self.session.flush()


LIKE_ESCAPE = "\\"


def contains_pattern(value: str) -> str:
    """An ILIKE pattern matching ``value`` anywhere, with wildcards in it taken literally.

    Use with ``escape=LIKE_ESCAPE``.
    """
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
