"""The operator reports: the repository sums, this module rounds per currency and shapes."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import today_in
from billing.core.money import round_money
from billing.core.tenancy import AccessScope
from billing.reports.operator.repository import OperatorReportRepository
from billing.reports.operator.schemas import (
    AgeingBucket,
    AgeingReport,
    AgeingRow,
    MrrReport,
    MrrRow,
    PaymentsReport,
    PaymentsRow,
    RevenueReport,
    RevenueRow,
)
from billing.reports.periods import check_range, month_starts
from billing.settings.service import settings as settings_service

ZERO = Decimal(0)
TWELVE = Decimal(12)


@dataclass(frozen=True, slots=True)
class ReportRange:
    """The months a report covers and, optionally, the one tenant it is about."""

    date_from: date | None
    date_to: date | None
    tenant_id: uuid.UUID | None


async def _today_and_zone(session: AsyncSession) -> tuple[date, str]:
    settings = await settings_service.get(session)
    return today_in(settings.timezone), settings.timezone


def _default_range(today: date, period: ReportRange) -> tuple[date, date]:
    """Both ends; by default the twelve months up to ``date_to`` (or today)."""
    end = period.date_to or today
    date_from = period.date_from
    if date_from is None:
        months = end.year * 12 + end.month - 1 - 11
        date_from = date(months // 12, months % 12 + 1, 1)
    check_range(date_from, end)
    return date_from, end


class OperatorReportService:
    """Revenue, receivables ageing, MRR movements and payments, per currency."""

    async def revenue(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        period: ReportRange,
    ) -> RevenueReport:
        """Per month (of issue, payment or refund, in the operator's time zone) and currency."""
        today, zone = await _today_and_zone(session)
        start, end = _default_range(today, period)
        month_starts(start, end)  # bounds the range
        measures = await OperatorReportRepository(session, scope).revenue(
            date_from=start, date_to=end, timezone=zone, tenant_id=period.tenant_id
        )
        sums: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
        for measure in measures:
            sums[(measure.month, measure.currency)][measure.measure] = measure.amount
        rows = []
        for (month, currency), values in sorted(sums.items()):
            amounts = {
                name: round_money(values.get(name, ZERO), currency)
                for name in ("invoiced", "credited", "collected", "refunded")
            }
            rows.append(
                RevenueRow(
                    month=month,
                    currency=currency,
                    **amounts,
                    net_collected=amounts["collected"] - amounts["refunded"],
                )
            )
        return RevenueReport(date_from=start, date_to=end, rows=rows)

    async def ageing(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        as_of: date | None,
        tenant_id: uuid.UUID | None,
    ) -> AgeingReport:
        """Open balances at the end of ``as_of`` (default today) by days past due."""
        today, zone = await _today_and_zone(session)
        day = as_of or today
        groups = await OperatorReportRepository(session, scope).ageing(
            as_of=day, timezone=zone, tenant_id=tenant_id
        )
        buckets: dict[str, dict[AgeingBucket, Decimal]] = defaultdict(dict)
        counts: dict[str, int] = defaultdict(int)
        for group in groups:
            buckets[group.currency][AgeingBucket(group.bucket)] = group.amount
            counts[group.currency] += group.invoices
        rows = []
        for currency, amounts in sorted(buckets.items()):
            rounded = {b: round_money(amounts.get(b, ZERO), currency) for b in AgeingBucket}
            rows.append(
                AgeingRow(
                    currency=currency,
                    current=rounded[AgeingBucket.CURRENT],
                    days_1_30=rounded[AgeingBucket.DAYS_1_30],
                    days_31_60=rounded[AgeingBucket.DAYS_31_60],
                    days_61_90=rounded[AgeingBucket.DAYS_61_90],
                    over_90=rounded[AgeingBucket.OVER_90],
                    total=sum(rounded.values(), ZERO),
                    invoice_count=counts[currency],
                )
            )
        return AgeingReport(as_of=day, rows=rows)

    async def mrr(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        period: ReportRange,
    ) -> MrrReport:
        """MRR at the start and end of each month, and what moved it, per currency.

        Each subscription's MRR is rounded to its currency first; its change over the month
        is new (from nothing), churn (to nothing), expansion or contraction. So the movements
        add up to the difference of the two MRRs exactly.
        """
        today, _ = await _today_and_zone(session)
        start, end = _default_range(today, period)
        months = month_starts(start, end)
        edges = [*months, _next_month(months[-1])]
        # A month still running ends today: later days have no segments yet.
        days = sorted({min(edge, today) for edge in edges})
        snapshots: dict[date, dict[tuple[uuid.UUID, str], Decimal]] = defaultdict(dict)
        for row in await OperatorReportRepository(session, scope).mrr(
            days=days, tenant_id=period.tenant_id
        ):
            snapshots[row.day][(row.subscription_id, row.currency)] = round_money(
                row.mrr, row.currency
            )
        rows: list[MrrRow] = []
        for month in months:
            first = min(month, today)
            last = min(_next_month(month), today)
            before, after = snapshots.get(first, {}), snapshots.get(last, {})
            per_currency: dict[str, dict[str, Decimal]] = defaultdict(
                lambda: defaultdict(lambda: ZERO)
            )
            counted: dict[str, int] = defaultdict(int)
            for key in before.keys() | after.keys():
                currency = key[1]
                old, new = before.get(key, ZERO), after.get(key, ZERO)
                sums = per_currency[currency]
                sums["start"] += old
                sums["end"] += new
                if new > 0:
                    counted[currency] += 1
                if old == 0 and new > 0:
                    sums["new"] += new
                elif old > 0 and new == 0:
                    sums["churn"] += old
                elif new > old:
                    sums["expansion"] += new - old
                elif new < old:
                    sums["contraction"] += old - new
            for currency, sums in sorted(per_currency.items()):
                rows.append(
                    MrrRow(
                        month=month.strftime("%Y-%m"),
                        currency=currency,
                        mrr_start=sums["start"],
                        new=sums["new"],
                        expansion=sums["expansion"],
                        contraction=sums["contraction"],
                        churn=sums["churn"],
                        mrr_end=sums["end"],
                        arr_end=sums["end"] * TWELVE,
                        subscriptions_end=counted[currency],
                    )
                )
        return MrrReport(date_from=start, date_to=end, rows=rows)

    async def payments(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        period: ReportRange,
    ) -> PaymentsReport:
        """Payments received (and refunds given) in the range per currency, method, provider."""
        today, zone = await _today_and_zone(session)
        start, end = _default_range(today, period)
        groups = await OperatorReportRepository(session, scope).payments(
            date_from=start, date_to=end, timezone=zone, tenant_id=period.tenant_id
        )
        table: dict[tuple[str, str, str | None], list[Decimal]] = defaultdict(
            lambda: [ZERO, ZERO, ZERO]
        )
        for group in groups:
            entry = table[(group.currency, group.method, group.provider)]
            if group.measure == "paid":
                entry[0] += group.count
                entry[1] += group.amount
            else:
                entry[2] += group.amount
        rows = [
            PaymentsRow(
                currency=currency,
                method=method,
                provider=provider,
                count=int(entry[0]),
                amount=round_money(entry[1], currency),
                refunded=round_money(entry[2], currency),
            )
            for (currency, method, provider), entry in sorted(
                table.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or "")
            )
        ]
        return PaymentsReport(date_from=start, date_to=end, rows=rows)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


operator_reports = OperatorReportService()
