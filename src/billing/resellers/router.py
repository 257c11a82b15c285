"""Admin routes for resellers (``/api/v1/admin/resellers``)."""

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
from billing.resellers.errors import (
    CommissionRateAdminOnly,
    ResellerCycle,
    ResellerNotFound,
    ResellerRootForbidden,
)
from billing.resellers.schemas import ResellerCreate, ResellerRead, ResellerUpdate
from billing.resellers.service import reseller as reseller_service
from billing.routing import TransactionalRoute

router = GatedRouter(prefix="/resellers", tags=["resellers"], route_class=TransactionalRoute)


@router.post(
    "",
    name="resellers_create",
    status_code=201,
    dependencies=[require(Permission.RESELLERS_WRITE)],
    responses=error_responses(ResellerNotFound, CommissionRateAdminOnly),
)
async def create_reseller(
    body: ResellerCreate, scope: StaffScope, session: Session
) -> ApiResponse[ResellerRead]:
    """Create a reseller (resellers create children in their own subtree)."""
    created = await reseller_service.create(session, scope=scope, body=body)
    return ApiResponse(data=ResellerRead.model_validate(created))


@router.get("", name="resellers_list", dependencies=[require(Permission.RESELLERS_READ)])
async def list_resellers(
    scope: StaffScope,
    session: Session,
    page: Page,
    q: Annotated[str | None, Query(max_length=200, description="Name or e-mail.")] = None,
    parent_id: uuid.UUID | None = None,
) -> ListResponse[ResellerRead]:
    """List the resellers visible to the caller."""
    result = await reseller_service.list(session, scope=scope, q=q, parent_id=parent_id, page=page)
    return ListResponse.from_page(result, page=page, read=ResellerRead.model_validate)


@router.get(
    "/{reseller_id}",
    name="resellers_get",
    dependencies=[require(Permission.RESELLERS_READ)],
    responses=error_responses(ResellerNotFound),
)
async def get_reseller(
    reseller_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[ResellerRead]:
    """One reseller."""
    found = await reseller_service.get(session, scope=scope, reseller_id=reseller_id)
    return ApiResponse(data=ResellerRead.model_validate(found))


@router.patch(
    "/{reseller_id}",
    name="resellers_update",
    dependencies=[require(Permission.RESELLERS_WRITE)],
    responses=error_responses(
        ResellerNotFound, ResellerCycle, ResellerRootForbidden, CommissionRateAdminOnly
    ),
)
async def update_reseller(
    reseller_id: uuid.UUID, body: ResellerUpdate, scope: StaffScope, session: Session
) -> ApiResponse[ResellerRead]:
    """Change a reseller; fields left out keep their values. Only admins set commission rates."""
    updated = await reseller_service.update(
        session, scope=scope, reseller_id=reseller_id, body=body
    )
    return ApiResponse(data=ResellerRead.model_validate(updated))
