"""Repositories over tenant-owned tables: they cannot be built without an access scope.

``ScopedRepository.base_statement()`` is the only way to start a query on a tenant-owned table;
it always applies the request's ``AccessScope`` (RLS enforces the same rule underneath).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import ClassVar

from sqlalchemy import ColumnElement, Select, bindparam, select
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

    def prebuilt_scope(self) -> tuple[bool, dict[str, uuid.UUID]] | None:
        """For a statement built once and reused (``prebuilt_scope_clause``): whether the scope
        has a tenant, and the bound parameters it needs; ``None`` when its filter is not a
        plain tenant (a reseller's subtree) or is narrowed further.

        Building a statement with its eager loads and computing its cache key cost about
        0.15 ms, a fifth of a read by id; the hot reads build theirs once per shape.
        """
        scope = self.scope
        if scope.invoice_id is not None or scope.attempt_id is not None:
            return None
        if scope.kind is ScopeKind.ADMIN:
            return False, {}
        if scope.kind is ScopeKind.TENANT and scope.tenant_id is not None:
            return True, {SCOPE_TENANT_PARAMETER: scope.tenant_id}
        return None


SCOPE_TENANT_PARAMETER = "scope_tenant_id"


def prebuilt_scope_clause(column: InstrumentedAttribute[uuid.UUID]) -> ColumnElement[bool]:
    """``scope_filter`` of a one-tenant scope, with the tenant bound at execution
    (``ScopedRepository.prebuilt_scope`` gives the parameter)."""
    return column == bindparam(SCOPE_TENANT_PARAMETER)


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
