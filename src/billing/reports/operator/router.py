"""``/api/v1/admin/reports``: the operator's reports, for operator staff.

Every report answers JSON (the envelope) or CSV: ``?format=csv``, or an ``Accept`` header
naming ``text/csv`` (``?format`` wins over the header). Amounts are per currency.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from billing.auth.dependencies import StaffScope, require
from billing.auth.principal import Permission
from billing.core.envelope import ApiResponse, error_responses
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
from billing.reports.operator.service import operator_reports
from billing.routing import TransactionalRoute

ReportT = TypeVar("ReportT", bound=BaseModel)

router = APIRouter(prefix="/reports", tags=["reports"], route_class=TransactionalRoute)

Reads = [require(Permission.REPORTS_READ)]
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


@dataclass(frozen=True, slots=True)
class ReportRange:
    """The months a report covers and, optionally, the one tenant it is about."""

    date_from: date | None
    date_to: date | None
    tenant_id: uuid.UUID | None


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


@router.get(
    "/revenue",
    name="reports_revenue",
    response_model=ApiResponse[RevenueReport],
    dependencies=Reads,
    responses={**_RANGE_ERRORS, **_CSV},
)
async def revenue_report(
    request: Request,
    scope: StaffScope,
    session: Session,
    period: Range,
    format_: FormatQuery = None,
) -> ApiResponse[RevenueReport] | Response:
    """Invoiced, credited, collected and refunded per month and currency."""
    report = await operator_reports.revenue(
        session,
        scope=scope,
        date_from=period.date_from,
        date_to=period.date_to,
        tenant_id=period.tenant_id,
    )
    return answer(request, format_, report, report.rows, RevenueRow, "revenue.csv")


@router.get(
    "/receivables",
    name="reports_receivables_ageing",
    response_model=ApiResponse[AgeingReport],
    dependencies=Reads,
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


@router.get(
    "/mrr",
    name="reports_mrr",
    response_model=ApiResponse[MrrReport],
    dependencies=Reads,
    responses={**_RANGE_ERRORS, **_CSV},
)
async def mrr_report(
    request: Request,
    scope: StaffScope,
    session: Session,
    period: Range,
    format_: FormatQuery = None,
) -> ApiResponse[MrrReport] | Response:
    """MRR and ARR per month and currency with new, expansion, contraction and churn."""
    report = await operator_reports.mrr(
        session,
        scope=scope,
        date_from=period.date_from,
        date_to=period.date_to,
        tenant_id=period.tenant_id,
    )
    return answer(request, format_, report, report.rows, MrrRow, "mrr.csv")


@router.get(
    "/payments",
    name="reports_payments",
    response_model=ApiResponse[PaymentsReport],
    dependencies=Reads,
    responses={**_RANGE_ERRORS, **_CSV},
)
async def payments_report(
    request: Request,
    scope: StaffScope,
    session: Session,
    period: Range,
    format_: FormatQuery = None,
) -> ApiResponse[PaymentsReport] | Response:
    """Payments and refunds per currency, method and provider."""
    report = await operator_reports.payments(
        session,
        scope=scope,
        date_from=period.date_from,
        date_to=period.date_to,
        tenant_id=period.tenant_id,
    )
    return answer(request, format_, report, report.rows, PaymentsRow, "payments.csv")
