"""Rules of billable metrics and of recording usage events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import utcnow
from billing.core.pagination import PageOf, PageParams
from billing.core.tenancy import AccessScope
from billing.metering.errors import (
    MetricCodeTaken,
    MetricFrozen,
    MetricNotFound,
    UsageEventsInvalid,
)
from billing.metering.properties import normalized, to_json
from billing.metering.repository import EventRow, MetricRepository, UsageEventRepository
from billing.metering.schemas import MetricCreate, MetricUpdate, UsageEventInput
from billing.metering.timing import FUTURE_SKEW, effective_at
from billing.models.usage import BillableMetric
from billing.settings.service import settings as settings_service

FROZEN = ("aggregation", "property", "filters")
CODE_CONSTRAINT = "uq_billable_metrics_code"


class MetricService:
    """Create, read and change billable metrics."""

    async def create(self, session: AsyncSession, *, body: MetricCreate) -> BillableMetric:
        """A new metric (409 when its code is taken)."""
        repository = MetricRepository(session)
        if await repository.by_code(body.code) is not None:
            raise MetricCodeTaken(f"A billable metric with code '{body.code}' exists.")
        metric = BillableMetric(
            id=uuid.uuid4(),
            code=body.code,
            name=body.name,
            description=body.description,
            aggregation=body.aggregation,
            property=body.property,
            filters={key: list(values) for key, values in body.filters.items()},
            active=body.active,
        )
        try:
            return await repository.create(metric)
        except IntegrityError as exc:
            # Another request created the code between the check and the insert (the unique
            # index made this one wait for it to commit).
            if CODE_CONSTRAINT in str(exc.orig):
                raise MetricCodeTaken(f"A billable metric with code '{body.code}' exists.") from exc
            raise

    async def get(self, session: AsyncSession, *, metric_id: uuid.UUID) -> BillableMetric:
        """A metric, or ``MetricNotFound``."""
        metric = await MetricRepository(session).get(metric_id)
        if metric is None:
            raise MetricNotFound
        return metric

    async def list(
        self, session: AsyncSession, *, active: bool | None, page: PageParams
    ) -> PageOf[BillableMetric]:
        """A page of metrics."""
        return await MetricRepository(session).list_page(active=active, page=page)

    async def update(
        self, session: AsyncSession, *, metric_id: uuid.UUID, body: MetricUpdate
    ) -> BillableMetric:
        """Rename, describe, (de)activate; what it counts never changes."""
        metric = await self.get(session, metric_id=metric_id)
        changes: dict[str, Any] = body.model_dump(exclude_unset=True)
        changed = [
            field
            for field in FROZEN
            if field in changes and changes[field] != _current(metric, field)
        ]
        if changed:
            raise MetricFrozen(
                f"{', '.join(changed)} of a metric cannot change (events were counted by it); "
                "create a new metric and deactivate this one."
            )
        for field in ("name", "description", "active"):
            if field in changes and (changes[field] is not None or field == "description"):
                setattr(metric, field, changes[field])
        await MetricRepository(session).flush()
        return metric


def _current(metric: BillableMetric, field: str) -> Any:
    value = getattr(metric, field)
    return value.value if field == "aggregation" else value


@dataclass(frozen=True, slots=True)
class Recorded:
    """What one report stored."""

    tenant_id: uuid.UUID
    received: int
    recorded: int
    duplicates: list[str]


class UsageService:
    """Recording usage events: all of a request or none of it."""

    async def record(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        tenant_id: uuid.UUID,
        events: list[UsageEventInput],
        batch: bool = True,
    ) -> Recorded:
        """Check every event, then store the new ones in one statement.

        Raises:
            UsageEventsInvalid: an event names an unknown or inactive metric, a numeric
                property does not fit, or a timestamp lies in the future (``details`` lists
                each, by index); nothing is stored.
        """
        settings = await settings_service.get(session)
        grace = timedelta(minutes=settings.subscriptions.usage_grace_minutes)
        metrics = await MetricRepository(session).by_codes(event.code for event in events)
        received_at = utcnow()
        latest = received_at + FUTURE_SKEW
        problems: list[dict[str, Any]] = []
        rows: list[EventRow] = []
        for index, event in enumerate(events):
            where = f"events[{index}]" if batch else ""
            metric = metrics.get(event.code)
            if metric is None or not metric.active:
                state = "no billable metric" if metric is None else "an inactive metric"
                problems.append(
                    _problem(where, "code", f"'{event.code}' is {state}", "metric_unknown")
                )
                continue
            occurred = event.timestamp or received_at
            if occurred > latest:
                problems.append(
                    _problem(
                        where,
                        "timestamp",
                        f"{occurred.isoformat()} is more than 5 minutes in the future",
                        "timestamp_in_future",
                    )
                )
                continue
            properties, problem = normalized(metric, event.properties)
            if problem is not None:
                field, _, message = problem.partition(": ")
                problems.append(_problem(where, field, message, "property_invalid"))
                continue
            rows.append(
                EventRow(
                    transaction_id=event.transaction_id,
                    metric_id=metric.id,
                    occurred_at=occurred,
                    effective_at=effective_at(occurred, received_at, grace),
                    properties=to_json(properties),
                )
            )
        if problems:
            summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
            raise UsageEventsInvalid(
                f"{len(problems)} of {len(events)} events are invalid, none was recorded: "
                f"{summary}",
                details=problems,
            )
        stored = await UsageEventRepository(session, scope).append(
            tenant_id=tenant_id, received_at=received_at, rows=rows
        )
        duplicates = []
        seen: set[str] = set()
        for row in rows:
            if row.transaction_id in stored and row.transaction_id not in seen:
                seen.add(row.transaction_id)
            else:
                duplicates.append(row.transaction_id)
        return Recorded(
            tenant_id=tenant_id,
            received=len(events),
            recorded=len(stored),
            duplicates=duplicates,
        )


def _problem(where: str, field: str, message: str, kind: str) -> dict[str, Any]:
    path = [part for part in where.replace("[", ".").replace("]", "").split(".") if part]
    return {
        "loc": ["body", *path, *field.split(".")],
        "field": f"{where}.{field}" if where else field,
        "message": message,
        "type": kind,
    }


metric = MetricService()
usage = UsageService()
