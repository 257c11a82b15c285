"""``GET /api/v1/billing/overview`` (seed 002)."""

from __future__ import annotations

from billing.auth.dependencies import TenantScope, require
from billing.auth.principal import Permission
from billing.core.envelope import ApiResponse, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.session import Session
from billing.metering.errors import UsageTooLarge
from billing.reports.overview.schemas import BillingOverview
from billing.reports.overview.service import overview as overview_service
from billing.routing import TransactionalRoute
from billing.settings.errors import CurrencyNotEnabled

router = GatedRouter(tags=["billing-overview"], route_class=TransactionalRoute)


@router.get(
    "/overview",
    name="billing_overview",
    dependencies=[require(Permission.BILLING_READ)],
    # The next invoice is the upcoming estimate: it prices the usage counted so far and
    # previews an invoice in the subscription's currency.
    responses=error_responses(UsageTooLarge, CurrencyNotEnabled),
)
async def get_overview(scope: TenantScope, session: Session) -> ApiResponse[BillingOverview]:
    """Billing summary of the authenticated tenant (seed 002): what it owes and what is overdue
    per currency, wallet credit, the next invoice, subscriptions, default payment method, and
    its last invoices and payments."""
    assert scope.tenant_id is not None
    data = await overview_service.overview(session, scope=scope, tenant_id=scope.tenant_id)
    return ApiResponse(data=data)
