"""Repositories over tenant-owned tables: they cannot be built without an access scope.

``ScopedRepository.base_statement()`` is the only way to start a query on a tenant-owned table;
it always applies the request's ``AccessScope`` (RLS enforces the same rule underneath).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import ClassVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.base import ExecutableOption

from billing.core.repository import M, Repository
from billing.core.tenancy import AccessScope, ScopeKind
from billing.models.tenant import Tenant


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

    def base_statement(self, *, eager: Sequence[ExecutableOption] | None = None) -> Select[M]:
        """``SELECT model`` restricted to the tenants the scope may see."""
        statement = super().base_statement(eager=eager)
        clause = self.scope_clause()
        return statement if clause is None else statement.where(clause)


def scope_filter(
    column: InstrumentedAttribute[uuid.UUID], scope: AccessScope
) -> ColumnElement[bool] | None:
    """Restrict ``column`` (a tenant id) to the tenants visible in ``scope``."""
    if scope.kind is ScopeKind.ADMIN:
        return None
    if scope.kind in (ScopeKind.TENANT, ScopeKind.PUBLIC):
        return column == scope.tenant_id
    subtree_tenants = select(Tenant.id).where(Tenant.reseller_id.in_(scope.reseller_ids))
    return column.in_(subtree_tenants)
