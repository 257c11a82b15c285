"""Dependencies of the catalog routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from billing.auth.dependencies import StaffScope
from billing.core.errors import Forbidden
from billing.core.tenancy import AccessScope, ScopeKind


async def get_admin_scope(scope: StaffScope) -> AccessScope:
    """The admin scope; resellers get 403 (only operator staff delete catalog entries)."""
    if scope.kind is not ScopeKind.ADMIN:
        raise Forbidden("Only operator staff may delete catalog entries.")
    return scope


AdminScope = Annotated[AccessScope, Depends(get_admin_scope)]
