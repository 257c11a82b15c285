"""Billable metrics (``/api/v1/admin/billable-metrics``) and usage reports
(``POST /api/v1/usage-events``).

Staff read metrics; only admins create or change them (``catalog:write``). Metrics are never
deleted: deactivate one and new events naming it are refused.
"""

from __future__ import annotations

import uuid

from billing.auth.dependencies import StaffScope, require
from billing.auth.principal import Permission
from billing.core.envelope import ApiResponse, ListResponse, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.pagination import Page
from billing.core.session import Session
from billing.metering.dependencies import UsageReporter
from billing.metering.errors import (
    MetricCodeTaken,
    MetricFrozen,
    MetricNotFound,
    UsageEventsInvalid,
    UsageTenantMissing,
    UsageTenantNotFound,
)
from billing.metering.routing import ExactJsonRoute
from billing.metering.schemas import (
    MetricCreate,
    MetricRead,
    MetricUpdate,
    UsageEventBatchCreate,
    UsageEventsBody,
    UsageIngestRead,
)
from billing.metering.service import metric as metric_service
from billing.metering.service import usage as usage_service
from billing.routing import TransactionalRoute
from billing.tenants.errors import TenantNotFound
from billing.tenants.service import tenant as tenant_service

metrics_router = GatedRouter(
    prefix="/billable-metrics", tags=["billable-metrics"], route_class=TransactionalRoute
)
events_router = GatedRouter(prefix="/usage-events", tags=["usage"], route_class=ExactJsonRoute)


@metrics_router.post(
    "",
    name="billable_metrics_create",
    status_code=201,
    dependencies=[require(Permission.CATALOG_WRITE)],
    responses=error_responses(MetricCodeTaken),
)
async def create_metric(
    body: MetricCreate, scope: StaffScope, session: Session
) -> ApiResponse[MetricRead]:
    """Create a billable metric: what usage events count and how."""
    created = await metric_service.create(session, body=body)
    return ApiResponse(data=MetricRead.model_validate(created))


@metrics_router.get(
    "", name="billable_metrics_list", dependencies=[require(Permission.CATALOG_READ)]
)
async def list_metrics(
    scope: StaffScope, session: Session, page: Page, active: bool | None = None
) -> ListResponse[MetricRead]:
    """List billable metrics, newest first."""
    result = await metric_service.list(session, active=active, page=page)
    return ListResponse.from_page(result, page=page, read=MetricRead.model_validate)


@metrics_router.get(
    "/{metric_id}",
    name="billable_metrics_get",
    dependencies=[require(Permission.CATALOG_READ)],
    responses=error_responses(MetricNotFound),
)
async def get_metric(
    metric_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[MetricRead]:
    """One billable metric."""
    found = await metric_service.get(session, metric_id=metric_id)
    return ApiResponse(data=MetricRead.model_validate(found))


@metrics_router.patch(
    "/{metric_id}",
    name="billable_metrics_update",
    dependencies=[require(Permission.CATALOG_WRITE)],
    responses=error_responses(MetricNotFound, MetricFrozen),
)
async def update_metric(
    metric_id: uuid.UUID, body: MetricUpdate, scope: StaffScope, session: Session
) -> ApiResponse[MetricRead]:
    """Rename, describe or (de)activate a metric; what it counts is frozen."""
    updated = await metric_service.update(session, metric_id=metric_id, body=body)
    return ApiResponse(data=MetricRead.model_validate(updated))


@events_router.post(
    "",
    name="usage_events_create",
    responses=error_responses(UsageEventsInvalid, UsageTenantMissing, UsageTenantNotFound),
)
async def create_usage_events(
    body: UsageEventsBody, reporter: UsageReporter, session: Session
) -> ApiResponse[UsageIngestRead]:
    """Report usage: one event, or ``{"events": [...]}`` with up to 1,000 (all or none).

    A ``transaction_id`` already recorded for the tenant is acknowledged (listed in
    ``duplicates``) and not counted again. A tenant's API key reports for its tenant; operator
    staff name the tenant with ``tenant_id``.
    """
    tenant_id = body.tenant_id
    if reporter.tenant_id is not None:
        if tenant_id is not None and tenant_id != reporter.tenant_id:
            raise UsageTenantNotFound
        tenant_id = reporter.tenant_id
    elif tenant_id is None:
        raise UsageTenantMissing
    else:
        try:
            await tenant_service.get(session, scope=reporter.scope, tenant_id=tenant_id)
        except TenantNotFound as exc:
            raise UsageTenantNotFound from exc
    batch = isinstance(body, UsageEventBatchCreate)
    events = body.events if isinstance(body, UsageEventBatchCreate) else [body]
    recorded = await usage_service.record(
        session, scope=reporter.scope, tenant_id=tenant_id, events=list(events), batch=batch
    )
    return ApiResponse(
        data=UsageIngestRead(
            tenant_id=recorded.tenant_id,
            received=recorded.received,
            recorded=recorded.recorded,
            duplicates=recorded.duplicates,
        )
    )
