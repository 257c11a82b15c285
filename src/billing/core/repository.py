"""Repository bases: every statement of a domain lives in its repository.

``ScopedRepository.base_statement()`` is the only way to start a query on a tenant-owned table;
it always applies the request's ``AccessScope`` (RLS enforces the same rule underneath).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.base import ExecutableOption

from billing.core.tenancy import AccessScope, ScopeKind
from billing.models.base import Base
from billing.models.tenant import Tenant

M = TypeVar("M", bound=Base)


class Repository(Generic[M]):
    """Common reads and writes for one model. Flushes, never commits."""

    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def base_statement(self) -> Select[M]:
        """``SELECT model`` with the repository's eager loads."""
        return select(self.model).options(*self.eager_options())

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


class ScopedRepository(Repository[M]):
    """A repository over a tenant-owned table; it cannot be built without an ``AccessScope``."""

    tenant_column: ClassVar[str] = "tenant_id"

    def __init__(self, session: AsyncSession, scope: AccessScope) -> None:
        super().__init__(session)
        self.scope = scope

    def tenant_attribute(self) -> InstrumentedAttribute[uuid.UUID]:
        """The model column holding the owning tenant."""
        attribute: InstrumentedAttribute[uuid.UUID] = getattr(self.model, self.tenant_column)
        return attribute

    def scope_clause(self) -> ColumnElement[bool] | None:
        """The WHERE clause of the scope (``None`` for admins)."""
        return scope_filter(self.tenant_attribute(), self.scope)

    def base_statement(self) -> Select[M]:
        """``SELECT model`` restricted to the tenants the scope may see."""
        statement = super().base_statement()
        clause = self.scope_clause()
        return statement if clause is None else statement.where(clause)


def scope_filter(
    column: InstrumentedAttribute[uuid.UUID], scope: AccessScope
) -> ColumnElement[bool] | None:
    """Restrict ``column`` (a tenant id) to the tenants visible in ``scope``."""
    if scope.kind is ScopeKind.ADMIN:
        return None
    if scope.kind is ScopeKind.TENANT:
        return column == scope.tenant_id
    subtree_tenants = select(Tenant.id).where(Tenant.reseller_id.in_(scope.reseller_ids))
    return column.in_(subtree_tenants)


LIKE_ESCAPE = "\\"


def contains_pattern(value: str) -> str:
    """An ILIKE pattern matching ``value`` anywhere, with wildcards in it taken literally.

    Use with ``escape=LIKE_ESCAPE``.
    """
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
