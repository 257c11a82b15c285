"""FastAPI dependencies for authentication, access scopes and permissions.

``Principal`` authenticates; ``StaffScope`` / ``TenantScope`` resolve the access scope and set the
RLS settings for the transaction; ``require(...)`` checks a permission on top.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import text

from billing.app_settings import AppSettings
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
from billing.config import Settings
from billing.core.errors import Forbidden, NotFound, Unauthorized
from billing.core.session import Session, request_session
from billing.core.tenancy import AccessScope, apply_scope
from billing.models.settings import VERSION_KEY, VERSION_QUERY
from billing.throttling import policies, throttle

_PERMISSION_VALUES = frozenset(permission.value for permission in Permission)


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


async def get_optional_principal(request: Request) -> Principal | None:
    """The caller, or ``None`` without an Authorization header. Bad credentials are 401.

    Each principal is counted against the authenticated rate limit (seed 003: 300/min).
    """
    token = _bearer(request)
    if token is None:
        return None
    if token.startswith(KEY_PREFIX):
        principal = await _principal_from_api_key(token, request_session(request))
    else:
        settings: Settings = request.app.state.settings
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


async def get_staff_scope(principal: CurrentPrincipal, request: Request) -> AccessScope:
    """Scope of an admin or reseller on ``/api/v1/admin`` (403 for tenant principals)."""
    session = request_session(request)
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


async def get_tenant_scope(principal: CurrentPrincipal, request: Request) -> AccessScope:
    """Scope of a tenant principal on ``/api/v1/billing`` (403 for staff)."""
    if principal.tenant_id is None:
        raise Forbidden("This route is for tenant users; staff use /api/v1/admin.")
    scope = AccessScope.tenant(principal.tenant_id)
    await _apply(request_session(request), scope)
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


# -- merchants (seed 004: server-to-server payment-link invoices) ----------------------------

MERCHANT_KEY_HEADER = "irembopay-secretKey"
"""Seed 004's header for the merchant's secret key; here it carries one of our API keys."""

OPERATOR_MERCHANT = "operator"


@dataclass(frozen=True, slots=True)
class Merchant:
    """Who creates payment-link invoices, and whose transaction ids they are.

    A key (or token) bound to a tenant is that tenant (``tenant:<id>``), creating invoices it
    pays itself; an operator-wide key or an admin is the operator (``operator``), naming the
    tenant each invoice bills.
    """

    principal: Principal
    scope: AccessScope
    key: str
    tenant_id: uuid.UUID | None

    @property
    def is_operator(self) -> bool:
        """True for the operator (an unbound API key or an admin token)."""
        return self.tenant_id is None


async def get_merchant_principal(
    request: Request, session: Session, settings: AppSettings
) -> Principal:
    """The caller of a seed 004 route: ``Authorization: Bearer`` (API key or JWT), or the API
    key in the seed's ``irembopay-secretKey`` header. Both at once must name the same key."""
    alias = request.headers.get(MERCHANT_KEY_HEADER)
    token = _bearer(request)
    if alias is not None:
        secret = alias.strip()
        if not secret.startswith(KEY_PREFIX):
            raise Unauthorized(f"{MERCHANT_KEY_HEADER} takes an API key (bk_...).")
        if token is not None and token != secret:
            raise Unauthorized(f"Authorization and {MERCHANT_KEY_HEADER} name different keys.")
        principal = await _principal_from_api_key(secret, session)
    elif token is not None:
        if token.startswith(KEY_PREFIX):
            principal = await _principal_from_api_key(token, session)
        else:
            principal = principal_from_token(token, settings)
    else:
        raise Unauthorized
    request.state.principal = principal
    # Counted like every authenticated caller (per principal).
    await throttle(request, policies(request).authenticated, principal.scope_key)
    return principal


MerchantPrincipal = Annotated[Principal, Depends(get_merchant_principal)]


def merchant_scope(write: bool) -> Any:
    """The merchant of a seed 004 route, with the scope set for the transaction.

    ``write`` asks for ``invoices:write`` (operator) or ``billing:write`` (tenant); reads ask
    for the ``:read`` permissions. Resellers are not merchants (403).
    """

    async def resolve(principal: MerchantPrincipal, session: Session) -> Merchant:
        if principal.tenant_id is not None:
            needed = Permission.BILLING_WRITE if write else Permission.BILLING_READ
            scope = AccessScope.tenant(principal.tenant_id)
            key = f"tenant:{principal.tenant_id}"
        elif principal.role is Role.ADMIN:
            needed = Permission.INVOICES_WRITE if write else Permission.INVOICES_READ
            scope = AccessScope.admin()
            key = OPERATOR_MERCHANT
        else:
            raise Forbidden("Payment-link invoices are created by the operator or a tenant.")
        if not principal.has(needed):
            raise Forbidden(f"Missing permission '{needed.value}'.")
        await apply_scope(session, scope)
        return Merchant(principal=principal, scope=scope, key=key, tenant_id=principal.tenant_id)

    resolve.__name__ = "merchant_writes" if write else "merchant_reads"
    return Depends(resolve)
