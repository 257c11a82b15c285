"""``GET /api/v1/admin/commissions`` (seed 003)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from billing.auth.dependencies import StaffScope, require
from billing.auth.principal import Permission
from billing.core.envelope import ApiResponse, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.schemas import IsoDate
from billing.core.session import Session
from billing.reports.commissions.errors import OtherResellerCommission, ResellerRequired
from billing.reports.commissions.schemas import CommissionReport, CommissionStatus
from billing.reports.commissions.service import commission as commission_service
from billing.reports.errors import InvalidDateRange
from billing.resellers.errors import ResellerNotFound
from billing.routing import TransactionalRoute

router = GatedRouter(prefix="/commissions", tags=["reports"], route_class=TransactionalRoute)


@router.get(
    "",
    name="commissions_report",
    dependencies=[require(Permission.INVOICES_READ)],
    responses=error_responses(
        ResellerNotFound, OtherResellerCommission, ResellerRequired, InvalidDateRange
    ),
)
async def commission_report(
    scope: StaffScope,
    session: Session,
    reseller_id: Annotated[
        uuid.UUID | None,
        Query(description="Required for operator staff; a reseller gets its own."),
    ] = None,
    from_: Annotated[
        IsoDate | None, Query(alias="from", description="Issue date from (inclusive).")
    ] = None,
    to: Annotated[IsoDate | None, Query(description="Issue date to (inclusive).")] = None,
    status: Annotated[
        CommissionStatus, Query(description="Which issued invoices to list; paid by default.")
    ] = CommissionStatus.PAID,
) -> ApiResponse[CommissionReport]:
    """A reseller's commission per month of issue and currency, with the frozen amounts."""
    report = await commission_service.report(
        session,
        scope=scope,
        reseller_id=reseller_id,
        status=status,
        date_from=from_,
        date_to=to,
    )
    return ApiResponse(data=report)
