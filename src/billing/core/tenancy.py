"""Access scopes: which tenants a request may touch, and the RLS settings that enforce it.

Scopes are built only by ``billing.auth`` (from an authenticated principal, or narrowed to one
object a capability resolved); a test keeps every other module from constructing one.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import NewType

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.db import APP_ROLE_INFO

TenantId = NewType("TenantId", uuid.UUID)


class ScopeKind(StrEnum):
    """The shapes of access."""

    ADMIN = "admin"
    RESELLER = "reseller"
    TENANT = "tenant"
    PUBLIC = "public"
    """One object (an invoice, a payment attempt) of one tenant, reached by a capability
    (a public id, an invoice number, a provider reference) without a principal."""


@dataclass(frozen=True, slots=True)
class AccessScope:
    """The tenants a request may see: all (admin), a reseller subtree, or exactly one."""

    kind: ScopeKind
    tenant_id: TenantId | None = None
    reseller_ids: tuple[uuid.UUID, ...] = ()
    root_reseller_id: uuid.UUID | None = None
    invoice_id: uuid.UUID | None = None
    attempt_id: uuid.UUID | None = None

    @classmethod
    def admin(cls) -> AccessScope:
        """Everything (operator staff, operator-wide API keys, system jobs)."""
        return cls(ScopeKind.ADMIN)

    @classmethod
    def tenant(cls, tenant_id: uuid.UUID) -> AccessScope:
        """Exactly one tenant."""
        return cls(ScopeKind.TENANT, tenant_id=TenantId(tenant_id))

    @classmethod
    def reseller(cls, root: uuid.UUID, subtree: Iterable[uuid.UUID]) -> AccessScope:
        """The tenants of reseller ``root`` and of its descendants (``subtree`` includes it)."""
        return cls(ScopeKind.RESELLER, reseller_ids=tuple(subtree), root_reseller_id=root)

    @classmethod
    def public(
        cls,
        tenant_id: uuid.UUID,
        *,
        invoice_id: uuid.UUID | None = None,
        attempt_id: uuid.UUID | None = None,
    ) -> AccessScope:
        """One invoice and/or attempt of one tenant (public routes, provider deliveries)."""
        return cls(
            ScopeKind.PUBLIC,
            tenant_id=TenantId(tenant_id),
            invoice_id=invoice_id,
            attempt_id=attempt_id,
        )


async def apply_scope(
    session: AsyncSession, scope: AccessScope, *, also: str | None = None
) -> object:
    """Set the transaction-local settings that the RLS policies read.

    ``set_config(..., true)`` lasts until the end of the transaction, so a pooled connection
    never carries a scope into the next request. ``also``, a scalar query, is answered in the
    same round trip (its value is returned): requests need a few such facts, and each round
    trip costs more than the query.
    """
    reseller_ids = "{" + ",".join(str(rid) for rid in scope.reseller_ids) + "}"
    # Under the application role, the transaction also takes the role of the scope's kind,
    # whose policies have no OR: the planner then sees ``tenant_id = <the tenant>`` as the
    # very condition the query filters on, estimates it from the column's statistics and
    # keeps the index that serves the query's order (see ``billing.models.rls``).
    app_role = session.info.get(APP_ROLE_INFO)
    role = scope_role(app_role, scope.kind) if app_role else None
    result = await session.execute(
        _scope_statement(switch_role=role is not None, also=also),
        {
            "scope": scope.kind.value,
            "tenant_id": str(scope.tenant_id) if scope.tenant_id else "",
            "reseller_ids": reseller_ids if scope.reseller_ids else "",
            **({"role": role} if role else {}),
        },
    )
    return result.one()[4]


@functools.cache
def _scope_statement(*, switch_role: bool, also: str | None) -> TextClause:
    """The statement ``apply_scope`` sends, built once per shape (there are a handful)."""
    switch = ", set_config('role', :role, true)" if switch_role else ", NULL"
    extra = f", ({also})" if also else ", NULL"
    return text(
        "SELECT set_config('app.scope', :scope, true),"
        " set_config('app.tenant_id', :tenant_id, true),"
        " set_config('app.reseller_ids', :reseller_ids, true)" + switch + extra
    )


SCOPE_ROLE_SUFFIXES = {
    ScopeKind.TENANT: "_tenant",
    ScopeKind.RESELLER: "_reseller",
    ScopeKind.ADMIN: "_admin",
}
"""The role each kind of scope takes under the application role ``app``: ``app_tenant`` and
so on. A public scope (one object reached by a capability) stays on the application role."""


def scope_role(app_role: str, kind: ScopeKind) -> str | None:
    """The database role of a ``kind`` scope under ``app_role`` (None: the role itself)."""
    suffix = SCOPE_ROLE_SUFFIXES.get(kind)
    return app_role + suffix if suffix else None
