"""Admin routes for tenants (``/api/v1/admin/tenants``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from billing.auth.dependencies import StaffScope, require
from billing.auth.principal import Permission
from billing.core.envelope import ApiResponse, ListResponse, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.pagination import Page
from billing.core.session import Session
from billing.models.states import TenantStatus
from billing.routing import TransactionalRoute
from billing.tenants.errors import ResellerOutOfScope, TenantNotFound
from billing.tenants.schemas import TenantCreate, TenantRead, TenantUpdate
from billing.tenants.service import tenant as tenant_service

router = GatedRouter(prefix="/tenants", tags=["tenants"], route_class=TransactionalRoute)


@router.post(
    "",
    name="tenants_create",
    status_code=201,
    dependencies=[require(Permission.TENANTS_WRITE)],
    responses=error_responses(ResellerOutOfScope),
)
async def create_tenant(
    body: TenantCreate, scope: StaffScope, session: Session
) -> ApiResponse[TenantRead]:
    """Create a tenant (resellers create tenants in their own subtree)."""
    created = await tenant_service.create(session, scope=scope, body=body)
    return ApiResponse(data=TenantRead.model_validate(created))


@router.get("", name="tenants_list", dependencies=[require(Permission.TENANTS_READ)])
async def list_tenants(
    scope: StaffScope,
    session: Session,
    page: Page,
    q: Annotated[
        str | None, Query(max_length=200, description="Name, legal name or e-mail.")
    ] = None,
    status: TenantStatus | None = None,
    reseller_id: uuid.UUID | None = None,
) -> ListResponse[TenantRead]:
    """List the tenants visible to the caller, newest first."""
    result = await tenant_service.list(
        session,
        scope=scope,
        q=q,
        status=status,
        reseller_id=reseller_id,
        page=page,
    )
    return ListResponse.from_page(result, page=page, read=TenantRead.model_validate)


@router.get(
    "/{tenant_id}",
    name="tenants_get",
    dependencies=[require(Permission.TENANTS_READ)],
    responses=error_responses(TenantNotFound),
)
async def get_tenant(
    tenant_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[TenantRead]:
    """One tenant."""
    found = await tenant_service.get(session, scope=scope, tenant_id=tenant_id)
    return ApiResponse(data=TenantRead.model_validate(found))


@router.patch(
    "/{tenant_id}",
    name="tenants_update",
    dependencies=[require(Permission.TENANTS_WRITE)],
    responses=error_responses(TenantNotFound, ResellerOutOfScope),
)
async def update_tenant(
    tenant_id: uuid.UUID, body: TenantUpdate, scope: StaffScope, session: Session
) -> ApiResponse[TenantRead]:
    """Change a tenant; fields left out keep their values."""
    updated = await tenant_service.update(session, scope=scope, tenant_id=tenant_id, body=body)
    return ApiResponse(data=TenantRead.model_validate(updated))
