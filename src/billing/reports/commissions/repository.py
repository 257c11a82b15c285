"""The commission report's one statement."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, select

from billing.invoices.repository import OPEN_STATUSES, has_balance, status_clause
from billing.invoices.schemas import StatusFilter
from billing.models.invoice import Invoice
from billing.models.states import InvoiceStatus
from billing.reports.commissions.schemas import CommissionStatus
from billing.repositories import ScopedRepository


@dataclass(frozen=True, slots=True)
class CommissionGroup:
    """Sums of one month and currency (amounts unrounded, as stored)."""

    month: str
    currency: str
    invoice_count: int
    invoiced: Decimal
    commission: Decimal
    commission_paid: Decimal


def _status(status: CommissionStatus, today: date) -> ColumnElement[bool]:
    if status is CommissionStatus.ALL:
        return Invoice.status.not_in((InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED))
    if status is CommissionStatus.UNPAID:
        return and_(Invoice.status.in_(OPEN_STATUSES), has_balance())
    return status_clause(StatusFilter(status.value), today)


class CommissionRepository(ScopedRepository[Invoice]):
    """A reseller's invoices in the request's scope, summed per month and currency."""

    model = Invoice

    async def monthly(
        self,
        *,
        reseller_id: uuid.UUID,
        status: CommissionStatus,
        today: date,
        date_from: date | None,
        date_to: date | None,
    ) -> list[CommissionGroup]:
        """One row per month of issue and currency (served by the reseller's index)."""
        month = func.to_char(Invoice.issue_date, "YYYY-MM")
        commission = func.coalesce(Invoice.commission_amount, 0)
        statement = (
            select(
                month,
                Invoice.currency,
                func.count(),
                func.sum(Invoice.subtotal - Invoice.discount_amount),
                func.sum(commission),
                func.coalesce(func.sum(commission).filter(Invoice.status == InvoiceStatus.PAID), 0),
            )
            .where(Invoice.reseller_id == reseller_id, _status(status, today))
            .group_by(month, Invoice.currency)
            .order_by(month, Invoice.currency)
        )
        clause = self.scope_clause()
        if clause is not None:
            statement = statement.where(clause)
        if date_from is not None:
            statement = statement.where(Invoice.issue_date >= date_from)
        if date_to is not None:
            statement = statement.where(Invoice.issue_date <= date_to)
        result = await self.session.execute(statement)
        return [CommissionGroup(*row) for row in result.all()]
