"""Billing profile routes: the tenant's own (``/api/v1/billing/billing-profile``) and staff
access to any visible tenant's (``/api/v1/admin/tenants/{tenant_id}/billing-profile``).
"""

from __future__ import annotations

import uuid

from billing.auth.dependencies import StaffScope, TenantScope, require
from billing.auth.principal import Permission
from billing.billing_profiles.errors import InvalidBillingProfile
from billing.billing_profiles.schemas import BillingProfileRead, BillingProfileUpdate
from billing.billing_profiles.service import billing_profile as billing_profile_service
from billing.core.envelope import ApiResponse, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.session import Session
from billing.core.tenancy import AccessScope
from billing.models.billing_profile import BillingProfile
from billing.routing import TransactionalRoute
from billing.tenants.errors import TenantNotFound

tenant_router = GatedRouter(
    prefix="/billing-profile", tags=["billing-profile"], route_class=TransactionalRoute
)
admin_router = GatedRouter(
    prefix="/tenants/{tenant_id}/billing-profile",
    tags=["billing-profile"],
    route_class=TransactionalRoute,
)


def _read(profile: BillingProfile | None) -> BillingProfileRead | None:
    return None if profile is None else BillingProfileRead.model_validate(profile)


def _own_tenant(scope: AccessScope) -> uuid.UUID:
    # TenantScope always names exactly one tenant: the token's.
    assert scope.tenant_id is not None
    return scope.tenant_id


@tenant_router.get(
    "",
    name="billing_profile_get",
    dependencies=[require(Permission.BILLING_READ)],
    responses=error_responses(TenantNotFound),
)
async def get_billing_profile(
    scope: TenantScope, session: Session
) -> ApiResponse[BillingProfileRead | None]:
    """The caller's billing profile; ``data`` is null until it is first saved."""
    found = await billing_profile_service.get(session, scope=scope, tenant_id=_own_tenant(scope))
    return ApiResponse(data=_read(found))


@tenant_router.put(
    "",
    name="billing_profile_upsert",
    dependencies=[require(Permission.BILLING_WRITE)],
    responses=error_responses(TenantNotFound, InvalidBillingProfile),
)
async def upsert_billing_profile(
    body: BillingProfileUpdate, scope: TenantScope, session: Session
) -> ApiResponse[BillingProfileRead]:
    """Create or merge the caller's billing profile; fields left out keep their values."""
    saved = await billing_profile_service.upsert(
        session, scope=scope, tenant_id=_own_tenant(scope), body=body
    )
    return ApiResponse(data=BillingProfileRead.model_validate(saved))


@admin_router.get(
    "",
    name="tenant_billing_profile_get",
    dependencies=[require(Permission.TENANTS_READ)],
    responses=error_responses(TenantNotFound),
)
async def get_tenant_billing_profile(
    tenant_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[BillingProfileRead | None]:
    """A tenant's billing profile; ``data`` is null until it is first saved."""
    found = await billing_profile_service.get(session, scope=scope, tenant_id=tenant_id)
    return ApiResponse(data=_read(found))


@admin_router.put(
    "",
    name="tenant_billing_profile_upsert",
    dependencies=[require(Permission.TENANTS_WRITE)],
    responses=error_responses(TenantNotFound, InvalidBillingProfile),
)
async def upsert_tenant_billing_profile(
    tenant_id: uuid.UUID, body: BillingProfileUpdate, scope: StaffScope, session: Session
) -> ApiResponse[BillingProfileRead]:
    """Create or merge a tenant's billing profile; fields left out keep their values."""
    saved = await billing_profile_service.upsert(
        session, scope=scope, tenant_id=tenant_id, body=body
    )
    return ApiResponse(data=BillingProfileRead.model_validate(saved))
