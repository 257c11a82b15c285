"""Who may see which reseller's commission, and the report's arithmetic."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import today_in
from billing.core.money import round_money
from billing.core.tenancy import AccessScope, ScopeKind
from billing.reports.commissions.errors import OtherResellerCommission, ResellerRequired
from billing.reports.commissions.repository import CommissionRepository
from billing.reports.commissions.schemas import (
    CommissionMonth,
    CommissionReport,
    CommissionStatus,
    CommissionTotal,
)
from billing.reports.periods import check_range
from billing.resellers.service import reseller as reseller_service
from billing.settings.schemas import CommissionBasis
from billing.settings.service import settings as settings_service

ZERO = Decimal(0)
NONE = Decimal("0.00")


class CommissionService:
    """The commission report of one reseller."""

    async def report(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        reseller_id: uuid.UUID | None,
        status: CommissionStatus,
        date_from: date | None,
        date_to: date | None,
    ) -> CommissionReport:
        """A reseller's commission per month and currency between two issue dates.

        A reseller gets its own (naming another one it can see is 403, one it cannot 404);
        operator staff name any reseller.
        """
        check_range(date_from, date_to)
        target = self._target(scope, reseller_id)
        reseller = await reseller_service.get(session, scope=scope, reseller_id=target)
        if scope.kind is ScopeKind.RESELLER and reseller.id != scope.root_reseller_id:
            raise OtherResellerCommission
        settings = await settings_service.get(session)
        groups = await CommissionRepository(session, scope).monthly(
            reseller_id=reseller.id,
            status=status,
            today=today_in(settings.timezone),
            date_from=date_from,
            date_to=date_to,
        )
        basis = settings.commission_basis
        rows = [
            CommissionMonth(
                month=group.month,
                currency=group.currency,
                invoice_count=group.invoice_count,
                invoiced=round_money(group.invoiced, group.currency),
                commission=round_money(group.commission, group.currency),
                earned=round_money(
                    group.commission
                    if basis is CommissionBasis.INVOICED
                    else group.commission_paid,
                    group.currency,
                ),
            )
            for group in groups
        ]
        totals = _totals(rows)
        single = totals[0] if len(totals) == 1 else None
        return CommissionReport(
            reseller_id=reseller.id,
            rate=reseller.commission_rate,
            basis=basis,
            status=status,
            date_from=date_from,
            date_to=date_to,
            currency=single.currency if single else None,
            total_invoiced=single.invoiced if single else (NONE if not totals else None),
            total_commission=single.earned if single else (NONE if not totals else None),
            totals=totals,
            rows=rows,
        )

    def _target(self, scope: AccessScope, reseller_id: uuid.UUID | None) -> uuid.UUID:
        if reseller_id is not None:
            return reseller_id
        if scope.kind is ScopeKind.RESELLER and scope.root_reseller_id is not None:
            return scope.root_reseller_id
        raise ResellerRequired


def _totals(rows: list[CommissionMonth]) -> list[CommissionTotal]:
    """Column sums per currency (each row is already rounded to the currency)."""
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for row in rows:
        acc = sums[row.currency]
        acc[0] += row.invoiced
        acc[1] += row.commission
        acc[2] += row.earned
    return [
        CommissionTotal(currency=currency, invoiced=acc[0], commission=acc[1], earned=acc[2])
        for currency, acc in sorted(sums.items())
    ]


commission = CommissionService()
