"""The operator reports' statements: one per report, aggregated by PostgreSQL.

They run under the admin scope (the routes are for operator staff); row-level security
applies as everywhere. Timestamps are turned into the operator's calendar days in SQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, Date, String, TextClause, bindparam, text

from billing.models.invoice import Invoice
from billing.repositories import ScopedRepository

_TENANT = "(CAST(:tenant_id AS uuid) IS NULL OR {alias}.tenant_id = CAST(:tenant_id AS uuid))"


def _tenant(alias: str) -> str:
    return _TENANT.format(alias=alias)


def _typed(sql: str) -> TextClause:
    """The statement with its dates and time zone typed (asyncpg infers no ``unknown``)."""
    statement = text(sql)
    names = {"as_of", "date_from", "date_to"} & set(statement._bindparams)
    params: list[BindParameter[Any]] = [bindparam(name, type_=Date) for name in sorted(names)]
    if "tz" in statement._bindparams:
        params.append(bindparam("tz", type_=String))
    return statement.bindparams(*params)


_REVENUE = f"""
SELECT 'invoiced' AS measure, to_char(i.issue_date, 'YYYY-MM') AS month, i.currency,
       sum(i.total_amount) AS amount
  FROM invoices i
 WHERE i.issued_at IS NOT NULL AND i.issue_date BETWEEN :date_from AND :date_to
   AND {_tenant("i")}
 GROUP BY 2, 3
UNION ALL
SELECT 'credited', to_char(c.issue_date, 'YYYY-MM'), c.currency, sum(c.total_amount)
  FROM credit_notes c
 WHERE c.issue_date BETWEEN :date_from AND :date_to AND {_tenant("c")}
 GROUP BY 2, 3
UNION ALL
SELECT 'collected', to_char((p.paid_at AT TIME ZONE :tz)::date, 'YYYY-MM'), p.currency,
       sum(p.amount)
  FROM payments p
 WHERE p.method <> 'wallet'
   AND (p.paid_at AT TIME ZONE :tz)::date BETWEEN :date_from AND :date_to
   AND {_tenant("p")}
 GROUP BY 2, 3
UNION ALL
SELECT 'refunded', to_char((r.created_at AT TIME ZONE :tz)::date, 'YYYY-MM'), r.currency,
       sum(r.amount)
  FROM refunds r
 WHERE r.status = 'succeeded'
   AND (r.created_at AT TIME ZONE :tz)::date BETWEEN :date_from AND :date_to
   AND {_tenant("r")}
 GROUP BY 2, 3
"""

# What each invoice still asked for at the end of :as_of, from the ledger's rows: its total,
# less the credit notes issued by then, less the payments allocated by then (negative
# allocations are money taken back). An invoice cancelled by then owes nothing (its credit
# note may fall short of its total by VAT rounding).
_AGEING = f"""
SELECT o.currency,
       CASE WHEN o.due_date IS NULL OR o.due_date >= :as_of THEN 'current'
            WHEN :as_of - o.due_date <= 30 THEN '1-30'
            WHEN :as_of - o.due_date <= 60 THEN '31-60'
            WHEN :as_of - o.due_date <= 90 THEN '61-90'
            ELSE '90+' END AS bucket,
       count(*) AS invoices, sum(o.due) AS amount
  FROM (
    SELECT i.currency, i.due_date,
           i.total_amount
           - coalesce((SELECT sum(c.total_amount) FROM credit_notes c
                        WHERE c.tenant_id = i.tenant_id AND c.invoice_id = i.id
                          AND c.issue_date <= :as_of), 0)
           - coalesce((SELECT sum(a.amount) FROM payment_allocations a
                        WHERE a.tenant_id = i.tenant_id AND a.invoice_id = i.id
                          AND (a.created_at AT TIME ZONE :tz)::date <= :as_of), 0) AS due
      FROM invoices i
     WHERE i.issued_at IS NOT NULL AND i.issue_date <= :as_of
       AND NOT (i.status = 'cancelled' AND (i.cancelled_at AT TIME ZONE :tz)::date <= :as_of)
       AND {_tenant("i")}
  ) o
 WHERE o.due > 0
 GROUP BY 1, 2
"""

# Each subscription's monthly amount on each day of :days: the segments running that day
# (half-open [start_date, end_date)), outside a trial, normalised to a month.
_MRR = f"""
SELECT d.day, s.id AS subscription_id, s.currency,
       sum(CASE WHEN p.billing_scheme = 'flat' THEN p.unit_amount
                ELSE p.unit_amount * g.quantity END
           * CASE p.interval WHEN 'day' THEN 365.0 / 12
                             WHEN 'week' THEN 52.0 / 12
                             WHEN 'month' THEN 1
                             WHEN 'quarter' THEN 1.0 / 3
                             ELSE 1.0 / 12 END
           / p.interval_count) AS mrr
  FROM unnest(CAST(:days AS date[])) AS d(day)
  JOIN subscription_segments g ON g.start_date <= d.day AND d.day < g.end_date
  JOIN subscriptions s ON s.tenant_id = g.tenant_id AND s.id = g.subscription_id
  JOIN prices p ON p.id = g.price_id
 WHERE (s.trial_end IS NULL OR d.day >= s.trial_end) AND {_tenant("g")}
 GROUP BY 1, 2, 3
"""

_PAYMENTS = f"""
SELECT 'paid' AS measure, p.currency, p.method, t.provider, count(*) AS n, sum(p.amount)
  FROM payments p
  LEFT JOIN payment_transactions t ON t.tenant_id = p.tenant_id AND t.id = p.transaction_id
 WHERE (p.paid_at AT TIME ZONE :tz)::date BETWEEN :date_from AND :date_to AND {_tenant("p")}
 GROUP BY 2, 3, 4
UNION ALL
SELECT 'refunded', p.currency, p.method, t.provider, count(*), sum(r.amount)
  FROM refunds r
  JOIN payments p ON p.tenant_id = r.tenant_id AND p.id = r.payment_id
  LEFT JOIN payment_transactions t ON t.tenant_id = p.tenant_id AND t.id = p.transaction_id
 WHERE r.status = 'succeeded'
   AND (r.created_at AT TIME ZONE :tz)::date BETWEEN :date_from AND :date_to
   AND {_tenant("r")}
 GROUP BY 2, 3, 4
"""


@dataclass(frozen=True, slots=True)
class Measure:
    """One summed measure of one group (unrounded)."""

    measure: str
    month: str
    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class AgeingGroup:
    """Open balances of one currency and bucket (unrounded)."""

    currency: str
    bucket: str
    invoices: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class SubscriptionMrr:
    """One subscription's monthly amount on one day (unrounded)."""

    day: date
    subscription_id: uuid.UUID
    currency: str
    mrr: Decimal


@dataclass(frozen=True, slots=True)
class PaymentGroup:
    """Payments (or their refunds) of one currency, method and provider."""

    measure: str
    currency: str
    method: str
    provider: str | None
    count: int
    amount: Decimal


class OperatorReportRepository(ScopedRepository[Invoice]):
    """Operator-wide aggregates (or one tenant's, with ``tenant_id``)."""

    model = Invoice

    async def revenue(
        self, *, date_from: date, date_to: date, timezone: str, tenant_id: uuid.UUID | None
    ) -> list[Measure]:
        """Invoiced, credited, collected and refunded per month and currency."""
        result = await self.session.execute(
            _typed(_REVENUE),
            {
                "date_from": date_from,
                "date_to": date_to,
                "tz": timezone,
                "tenant_id": tenant_id,
            },
        )
        return [Measure(*row) for row in result.all()]

    async def ageing(
        self, *, as_of: date, timezone: str, tenant_id: uuid.UUID | None
    ) -> list[AgeingGroup]:
        """Open balances at the end of ``as_of`` per currency and bucket."""
        result = await self.session.execute(
            _typed(_AGEING), {"as_of": as_of, "tz": timezone, "tenant_id": tenant_id}
        )
        return [AgeingGroup(*row) for row in result.all()]

    async def mrr(
        self, *, days: Sequence[date], tenant_id: uuid.UUID | None
    ) -> list[SubscriptionMrr]:
        """Each subscription's monthly amount on each of ``days`` (zero ones left out)."""
        result = await self.session.execute(
            _typed(_MRR), {"days": list(days), "tenant_id": tenant_id}
        )
        return [SubscriptionMrr(*row) for row in result.all()]

    async def payments(
        self, *, date_from: date, date_to: date, timezone: str, tenant_id: uuid.UUID | None
    ) -> list[PaymentGroup]:
        """Payments and refunds per currency, method and provider."""
        result = await self.session.execute(
            _typed(_PAYMENTS),
            {
                "date_from": date_from,
                "date_to": date_to,
                "tz": timezone,
                "tenant_id": tenant_id,
            },
        )
        return [PaymentGroup(*row) for row in result.all()]
