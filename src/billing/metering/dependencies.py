"""Who reports usage: a tenant's key (or user) for its tenant, or operator staff naming one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from billing.auth.dependencies import CurrentPrincipal, get_staff_scope, get_tenant_scope
from billing.auth.principal import Permission
from billing.core.errors import Forbidden
from billing.core.tenancy import AccessScope


@dataclass(frozen=True, slots=True)
class Reporter:
    """The caller of ``POST /api/v1/usage-events`` with its scope set for the transaction."""

    scope: AccessScope
    tenant_id: uuid.UUID | None
    """The tenant of a tenant principal; None for staff (the body names the tenant)."""


async def get_reporter(principal: CurrentPrincipal, request: Request) -> Reporter:
    """Tenant principals need ``billing:write``; staff need ``subscriptions:write``."""
    if principal.tenant_id is not None:
        if not principal.has(Permission.BILLING_WRITE):
            raise Forbidden(f"Missing permission '{Permission.BILLING_WRITE.value}'.")
        return Reporter(await get_tenant_scope(principal, request), principal.tenant_id)
    if not principal.has(Permission.SUBSCRIPTIONS_WRITE):
        raise Forbidden(f"Missing permission '{Permission.SUBSCRIPTIONS_WRITE.value}'.")
    return Reporter(await get_staff_scope(principal, request), None)


UsageReporter = Annotated[Reporter, Depends(get_reporter)]
