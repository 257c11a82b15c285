"""The repository base: every statement of a domain lives in its repository.

Tenant-owned tables use ``billing.repositories.ScopedRepository``, which adds the scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.base import ExecutableOption

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
        self, statement: Select[M], *, page: int, per_page: int
    ) -> tuple[Sequence[M], int]:
        """One page of ``statement`` and the total count (two statements, whatever the size)."""
        total = await self.session.scalar(
            select(func.count()).select_from(statement.order_by(None).options().subquery())
        )
        items = await self.get_all(statement.limit(per_page).offset((page - 1) * per_page))
        return items, int(total or 0)

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
