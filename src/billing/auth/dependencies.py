"""FastAPI dependencies for authentication, access scopes and permissions.

``Principal`` authenticates; ``StaffScope`` / ``TenantScope`` resolve the access scope and set the
RLS settings for the transaction; ``require(...)`` checks a permission on top.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import text

from billing.auth.api_keys import KEY_PREFIX, hash_api_key
from billing.auth.principal import (
    ROLE_PERMISSIONS,
    TENANT_KEY_SCOPES,
    Permission,
    Principal,
    Role,
)
from billing.auth.repository import ApiKeyRepository, reseller_subtree_ids
from billing.auth.tokens import principal_from_token
from billing.config import Settings, get_settings
from billing.core.errors import Forbidden, NotFound, Unauthorized
from billing.core.session import Session
from billing.core.tenancy import AccessScope, apply_scope
from billing.models.settings import VERSION_KEY, VERSION_QUERY
from billing.throttling import policies, throttle

_PERMISSION_VALUES = frozenset(permission.value for permission in Permission)

SettingsDep = Annotated[Settings, Depends(get_settings)]


async def _apply(session: Session, scope: AccessScope) -> None:
    # The operator settings' version comes back in the same round trip: most requests then
    # read the settings from the process cache (billing.settings.service).
    session.info[VERSION_KEY] = await apply_scope(session, scope, also=VERSION_QUERY)


# Touching last_used_at on every request would turn reads into writes; once a minute is enough.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized("Use 'Authorization: Bearer <token>'.")
    return credentials.strip()


async def _principal_from_api_key(secret: str, session: Session) -> Principal:
    key_hash = hash_api_key(secret)
    # The api_keys policy shows a row only to admins or to the lookup of its own hash.
    await session.execute(
        text("SELECT set_config('app.api_key_hash', :hash, true)"), {"hash": key_hash}
    )
    api_key = await ApiKeyRepository(session).by_hash(key_hash)
    now = datetime.now(UTC)
    if api_key is None or api_key.revoked_at is not None:
        raise Unauthorized("The API key is invalid or revoked.")
    if api_key.expires_at is not None and api_key.expires_at <= now:
        raise Unauthorized("The API key has expired.")
    if api_key.last_used_at is None or now - api_key.last_used_at > _LAST_USED_RESOLUTION:
        await ApiKeyRepository(session).touch(api_key.id, now)
    scopes = frozenset(Permission(scope) for scope in api_key.scopes if scope in _PERMISSION_VALUES)
    if api_key.tenant_id is not None:
        return Principal(
            kind="api_key",
            subject=str(api_key.id),
            role=Role.TENANT_OWNER,
            permissions=scopes & TENANT_KEY_SCOPES,
            tenant_id=api_key.tenant_id,
        )
    return Principal(
        kind="api_key",
        subject=str(api_key.id),
        role=Role.ADMIN,
        permissions=scopes & ROLE_PERMISSIONS[Role.ADMIN],
    )


async def get_optional_principal(
    request: Request, session: Session, settings: SettingsDep
) -> Principal | None:
    """The caller, or ``None`` without an Authorization header. Bad credentials are 401.

    Each principal is counted against the authenticated rate limit (seed 003: 300/min).
    """
    token = _bearer(request)
    if token is None:
        return None
    if token.startswith(KEY_PREFIX):
        principal = await _principal_from_api_key(token, session)
    else:
        principal = principal_from_token(token, settings)
    # The route reads it to scope the Idempotency-Key it claims after authorization.
    request.state.principal = principal
    await throttle(request, policies(request).authenticated, principal.scope_key)
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(get_optional_principal)]


async def get_principal(principal: OptionalPrincipal) -> Principal:
    """The authenticated caller (401 without credentials)."""
    if principal is None:
        raise Unauthorized
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_staff_scope(principal: CurrentPrincipal, session: Session) -> AccessScope:
    """Scope of an admin or reseller on ``/api/v1/admin`` (403 for tenant principals)."""
    if principal.role is Role.ADMIN:
        scope = AccessScope.admin()
    elif principal.role is Role.RESELLER and principal.reseller_id is not None:
        subtree = await reseller_subtree_ids(session, principal.reseller_id)
        if not subtree:
            raise Unauthorized("The reseller named by the token does not exist.")
        scope = AccessScope.reseller(principal.reseller_id, subtree)
    else:
        raise Forbidden("This route is for operator staff and resellers.")
    await _apply(session, scope)
    return scope


async def get_tenant_scope(principal: CurrentPrincipal, session: Session) -> AccessScope:
    """Scope of a tenant principal on ``/api/v1/billing`` (403 for staff)."""
    if principal.tenant_id is None:
        raise Forbidden("This route is for tenant users; staff use /api/v1/admin.")
    scope = AccessScope.tenant(principal.tenant_id)
    await _apply(session, scope)
    return scope


StaffScope = Annotated[AccessScope, Depends(get_staff_scope)]
TenantScope = Annotated[AccessScope, Depends(get_tenant_scope)]


def require(permission: Permission) -> Any:
    """A dependency that fails with 403 unless the principal holds ``permission``."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has(permission):
            raise Forbidden(f"Missing permission '{permission.value}'.")
        return principal

    check.__name__ = f"require_{permission.name.lower()}"
    return Depends(check)


async def get_development_scope(request: Request, session: Session) -> AccessScope:
    """Scope of the development-only test routes: 404 unless ``BILLING_ENABLE_TEST_ROUTES``,
    then operator-wide (they create sample tenants and invoices for local use)."""
    if not request.app.state.settings.enable_test_routes:
        raise NotFound
    scope = AccessScope.admin()
    await _apply(session, scope)
    return scope


DevelopmentScope = Annotated[AccessScope, Depends(get_development_scope)]
