"""Every SQL statement about billable metrics (operator-wide) and usage events (tenant-owned).

Aggregations run in PostgreSQL, one statement per metric and window, on the index
``(tenant_id, metric_id, effective_at)``: the window is a range of that index under the
tenant and metric, so a period is read without touching any other tenant's or metric's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, Numeric, case, distinct, func, select, text

from billing.core.keyset import SortOrder
from billing.core.pagination import PageOf, PageParams
from billing.core.repository import Repository
from billing.models.usage import Aggregation, BillableMetric, UsageEvent
from billing.repositories import ScopedRepository

ZERO = Decimal(0)


class MetricRepository(Repository[BillableMetric]):
    """Billable metrics."""

    model = BillableMetric

    async def get(self, metric_id: uuid.UUID) -> BillableMetric | None:
        """One metric."""
        return await self.get_one_or_none(
            self.base_statement().where(BillableMetric.id == metric_id)
        )

    async def by_code(self, code: str) -> BillableMetric | None:
        """The metric with this code."""
        return await self.get_one_or_none(self.base_statement().where(BillableMetric.code == code))

    async def by_codes(self, codes: Iterable[str]) -> dict[str, BillableMetric]:
        """The metrics among ``codes`` that exist, by code (one statement)."""
        wanted = set(codes)
        if not wanted:
            return {}
        rows = await self.get_all(self.base_statement().where(BillableMetric.code.in_(wanted)))
        return {row.code: row for row in rows}

    async def get_many(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, BillableMetric]:
        """The metrics among ``ids``, by id (one statement)."""
        wanted = set(ids)
        if not wanted:
            return {}
        rows = await self.get_all(self.base_statement().where(BillableMetric.id.in_(wanted)))
        return {row.id: row for row in rows}

    async def list_page(self, *, active: bool | None, page: PageParams) -> PageOf[BillableMetric]:
        """A page of metrics, newest first."""
        statement = self.base_statement()
        if active is not None:
            statement = statement.where(BillableMetric.active.is_(active))
        return await self.paginate(
            statement,
            page,
            SortOrder("-created_at", BillableMetric.created_at, BillableMetric.id, descending=True),
        )


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event ready to store."""

    transaction_id: str
    metric_id: uuid.UUID
    occurred_at: datetime
    effective_at: datetime
    properties: str  # JSON text


# unnest() turns the columns of a batch into rows: one statement and one round trip per
# batch, whatever its size, and the primary key drops repeats (also within the batch).
_INSERT = text(
    "INSERT INTO usage_events (tenant_id, transaction_id, metric_id, occurred_at, received_at,"
    " effective_at, properties)"
    " SELECT CAST(:tenant_id AS uuid), e.transaction_id, e.metric_id, e.occurred_at,"
    " CAST(:received_at AS timestamptz), e.effective_at, CAST(e.properties AS jsonb)"
    " FROM unnest(CAST(:transaction_ids AS text[]), CAST(:metric_ids AS uuid[]),"
    " CAST(:occurred AS timestamptz[]), CAST(:effective AS timestamptz[]),"
    " CAST(:properties AS text[]))"
    " AS e(transaction_id, metric_id, occurred_at, effective_at, properties)"
    " ON CONFLICT (tenant_id, transaction_id) DO NOTHING"
    " RETURNING transaction_id"
)


@dataclass(frozen=True, slots=True)
class Window:
    """Usage counted in ``[start, end)`` (``effective_at``)."""

    start: datetime
    end: datetime


class UsageEventRepository(ScopedRepository[UsageEvent]):
    """Usage events of the tenants in the scope: appended, then aggregated."""

    model = UsageEvent

    async def append(
        self, *, tenant_id: uuid.UUID, received_at: datetime, rows: Sequence[EventRow]
    ) -> set[str]:
        """Store the events that are new; the transaction ids stored now."""
        result = await self.session.execute(
            _INSERT,
            {
                "tenant_id": tenant_id,
                "received_at": received_at,
                "transaction_ids": [row.transaction_id for row in rows],
                "metric_ids": [row.metric_id for row in rows],
                "occurred": [row.occurred_at for row in rows],
                "effective": [row.effective_at for row in rows],
                "properties": [row.properties for row in rows],
            },
        )
        return set(result.scalars().all())

    def _where(
        self, tenant_id: uuid.UUID, metric: BillableMetric, window: Window
    ) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [
            UsageEvent.tenant_id == tenant_id,
            UsageEvent.metric_id == metric.id,
            UsageEvent.effective_at >= window.start,
            UsageEvent.effective_at < window.end,
        ]
        scope = self.scope_clause()
        if scope is not None:
            conditions.append(scope)
        for key, values in sorted((metric.filters or {}).items()):
            conditions.append(UsageEvent.properties[key].astext.in_(values))
        return conditions

    async def aggregate(
        self, *, tenant_id: uuid.UUID, metric: BillableMetric, window: Window
    ) -> Decimal:
        """The metric's quantity for the tenant's events counted in ``window``."""
        where = self._where(tenant_id, metric, window)
        aggregation = Aggregation(metric.aggregation)
        if aggregation is Aggregation.COUNT:
            count = await self.session.scalar(select(func.count()).where(*where))
            return Decimal(int(count or 0))
        assert metric.property is not None
        value = UsageEvent.properties[metric.property]
        # Numeric properties were checked to be numbers when they arrived; anything else
        # (a property sent before it was aggregated) is skipped, never cast.
        number = case(
            (func.jsonb_typeof(value) == "number", value.astext.cast(Numeric)), else_=None
        )
        if aggregation is Aggregation.UNIQUE_COUNT:
            count = await self.session.scalar(
                select(func.count(distinct(value.astext))).where(*where)
            )
            return Decimal(int(count or 0))
        if aggregation is Aggregation.LATEST:
            latest = await self.session.scalar(
                select(number)
                .where(*where, func.jsonb_typeof(value) == "number")
                .order_by(UsageEvent.occurred_at.desc(), UsageEvent.transaction_id.desc())
                .limit(1)
            )
            return Decimal(latest) if latest is not None else ZERO
        combine = func.sum if aggregation is Aggregation.SUM else func.max
        total = await self.session.scalar(select(func.coalesce(combine(number), 0)).where(*where))
        return Decimal(total or 0)
