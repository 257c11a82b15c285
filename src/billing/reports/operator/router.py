"""``/api/v1/admin/reports``: the operator's reports, for operator staff.

Every report answers JSON (the envelope) or CSV: ``?format=csv``, or an ``Accept`` header
naming ``text/csv`` (``?format`` wins over the header). Amounts are per currency.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel

from billing.auth.dependencies import StaffScope, require
from billing.auth.principal import Permission
from billing.core.envelope import ApiResponse, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.schemas import IsoDate
from billing.core.session import Session
from billing.reports.errors import DateRangeTooLong, InvalidDateRange
from billing.reports.operator.csv_output import CSV_MEDIA_TYPE, csv_response, wanted_format
from billing.reports.operator.schemas import (
    AgeingReport,
    AgeingRow,
    MrrReport,
    MrrRow,
    PaymentsReport,
    PaymentsRow,
    ReportFormat,
    RevenueReport,
    RevenueRow,
)
from billing.reports.operator.service import ReportRange, operator_reports
from billing.routing import TransactionalRoute

ReportT = TypeVar("ReportT", bound=BaseModel)

router = GatedRouter(
    prefix="/reports",
    tags=["reports"],
    route_class=TransactionalRoute,
    dependencies=[require(Permission.REPORTS_READ)],
)

_RANGE_ERRORS = error_responses(InvalidDateRange, DateRangeTooLong)
_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}}
}

FormatQuery = Annotated[
    ReportFormat | None,
    Query(alias="format", description="json or csv; else the Accept header decides."),
]
FromQuery = Annotated[
    IsoDate | None,
    Query(alias="from", description="First day (default: 12 months back, from the 1st)."),
]
ToQuery = Annotated[IsoDate | None, Query(description="Last day, inclusive (default: today).")]
TenantQuery = Annotated[uuid.UUID | None, Query(description="One tenant only.")]


def report_range(
    from_: FromQuery = None, to: ToQuery = None, tenant_id: TenantQuery = None
) -> ReportRange:
    """The range parameters every monthly report takes."""
    return ReportRange(date_from=from_, date_to=to, tenant_id=tenant_id)


Range = Annotated[ReportRange, Depends(report_range)]


def answer(
    request: Request,
    format_: ReportFormat | None,
    report: ReportT,
    rows: Sequence[BaseModel],
    row_model: type[BaseModel],
    filename: str,
) -> ApiResponse[ReportT] | Response:
    """The report in the envelope, or its rows as CSV when the caller asks for CSV."""
    if wanted_format(request, format_) is ReportFormat.CSV:
        return csv_response(rows, row_model, filename)
    return ApiResponse(data=report)


MonthlyReport = RevenueReport | MrrReport | PaymentsReport


def add_monthly_report(
    path: str,
    *,
    name: str,
    response_model: Any,
    fetch: Callable[..., Awaitable[MonthlyReport]],
    row_model: type[BaseModel],
    filename: str,
    description: str,
) -> None:
    """Add the route of a report over a range of months: the range parameters (or their
    defaults), its errors, and the answer as JSON or CSV."""

    async def monthly_report(
        request: Request,
        scope: StaffScope,
        session: Session,
        period: Range,
        format_: FormatQuery = None,
    ) -> ApiResponse[MonthlyReport] | Response:
        report = await fetch(session, scope=scope, period=period)
        return answer(request, format_, report, report.rows, row_model, filename)

    router.add_api_route(
        path,
        monthly_report,
        methods=["GET"],
        name=name,
        response_model=response_model,
        responses={**_RANGE_ERRORS, **_CSV},
        description=description,
    )


add_monthly_report(
    "/revenue",
    name="reports_revenue",
    response_model=ApiResponse[RevenueReport],
    fetch=operator_reports.revenue,
    row_model=RevenueRow,
    filename="revenue.csv",
    description="Invoiced, credited, collected and refunded per month and currency.",
)


@router.get(
    "/receivables",
    name="reports_receivables_ageing",
    response_model=ApiResponse[AgeingReport],
    responses=_CSV,
)
async def receivables_ageing(
    request: Request,
    scope: StaffScope,
    session: Session,
    format_: FormatQuery = None,
    as_of: Annotated[
        IsoDate | None, Query(description="The day whose end is reported (default: today).")
    ] = None,
    tenant_id: TenantQuery = None,
) -> ApiResponse[AgeingReport] | Response:
    """Open balances per currency by days past due: current, 1-30, 31-60, 61-90, 90+."""
    report = await operator_reports.ageing(session, scope=scope, as_of=as_of, tenant_id=tenant_id)
    return answer(request, format_, report, report.rows, AgeingRow, "receivables.csv")


add_monthly_report(
    "/mrr",
    name="reports_mrr",
    response_model=ApiResponse[MrrReport],
    fetch=operator_reports.mrr,
    row_model=MrrRow,
    filename="mrr.csv",
    description="MRR and ARR per month and currency with new, expansion, contraction and churn.",
)
add_monthly_report(
    "/payments",
    name="reports_payments",
    response_model=ApiResponse[PaymentsReport],
    fetch=operator_reports.payments,
    row_model=PaymentsRow,
    filename="payments.csv",
    description="Payments and refunds per currency, method and provider.",
)
