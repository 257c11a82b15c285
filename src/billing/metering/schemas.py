"""Request and response bodies of billable metrics and usage events."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    StrictBool,
    StringConstraints,
    Tag,
    model_validator,
)

from billing.core.schemas import IsoDateTime, ReadSchema, WriteSchema
from billing.models.usage import Aggregation

MAX_BATCH = 1000
"""Events one request may carry."""

_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
MetricCode = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_CODE_PATTERN)]
PropertyName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=_CODE_PATTERN)
]
FilterValue = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must carry a time zone offset, such as 2026-05-12T11:30:00Z")
    return value


AwareTimestamp = Annotated[IsoDateTime, AfterValidator(_aware)]

PropertyValue = (
    StrictBool | int | Decimal | Annotated[str, StringConstraints(max_length=500)] | None
)
"""A property of an event: a flat JSON scalar (numbers are read exactly, never as floats)."""


class MetricCreate(WriteSchema):
    """A new billable metric."""

    code: MetricCode = Field(description="What usage events name (unique, never reused).")
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    aggregation: Aggregation = Field(
        description="count: events; sum, max, latest: a numeric property; unique_count: "
        "distinct values of a property."
    )
    property: PropertyName | None = Field(
        default=None, description="The property aggregated (every aggregation but count)."
    )
    filters: dict[PropertyName, list[FilterValue]] = Field(
        default_factory=dict,
        max_length=10,
        description="Only events whose property has one of the listed values count "
        '(every filter must match), e.g. {"region": ["eu", "us"]}.',
    )
    active: StrictBool = True

    @model_validator(mode="after")
    def _property_fits(self) -> MetricCreate:
        if self.aggregation is Aggregation.COUNT and self.property is not None:
            raise ValueError("count counts events; it takes no property")
        if self.aggregation is not Aggregation.COUNT and self.property is None:
            raise ValueError(f"{self.aggregation.value} needs the property it aggregates")
        for key, values in self.filters.items():
            if not 1 <= len(values) <= 50:
                raise ValueError(f"filters.{key}: between 1 and 50 values")
        return self


class MetricUpdate(WriteSchema):
    """A partial update: name, description and active. What a metric counts is frozen
    (409 ``billable_metric_frozen`` when ``aggregation``, ``property`` or ``filters`` would
    change)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    active: StrictBool | None = None
    aggregation: Aggregation | None = None
    property: PropertyName | None = None
    filters: dict[PropertyName, list[FilterValue]] | None = Field(default=None, max_length=10)


class MetricRead(ReadSchema):
    """A billable metric."""

    id: uuid.UUID
    code: str
    name: str
    description: str | None
    aggregation: Aggregation
    property: str | None
    filters: dict[str, list[str]]
    active: bool
    created_at: datetime
    updated_at: datetime


class UsageEventInput(WriteSchema):
    """One usage event."""

    transaction_id: str = Field(
        min_length=1,
        max_length=200,
        description="Unique per tenant: a repeat is acknowledged and not counted twice.",
    )
    code: MetricCode = Field(description="The billable metric's code.")
    timestamp: AwareTimestamp | None = Field(
        default=None,
        description="When the usage happened (ISO 8601 with offset); when it arrived if left "
        "out. At most 5 minutes in the future.",
    )
    properties: dict[PropertyName, PropertyValue] = Field(
        default_factory=dict,
        max_length=50,
        description="Flat scalar properties. Numeric properties of sum, max and latest "
        "metrics are numbers from 0 to 99999999999999.999999 (at most 6 decimals).",
    )


class UsageEventCreate(UsageEventInput):
    """One usage event in a request of its own."""

    tenant_id: uuid.UUID | None = Field(
        default=None,
        description="The tenant (operator staff); a tenant's key reports for its tenant.",
    )


class UsageEventBatchCreate(WriteSchema):
    """Up to 1,000 usage events of one tenant, recorded together (all or none)."""

    tenant_id: uuid.UUID | None = Field(
        default=None,
        description="The tenant (operator staff); a tenant's key reports for its tenant.",
    )
    events: list[UsageEventInput] = Field(min_length=1, max_length=MAX_BATCH)


def _body_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "batch" if "events" in value else "single"
    return "batch" if isinstance(value, UsageEventBatchCreate) else "single"


UsageEventsBody = Annotated[
    Annotated[UsageEventBatchCreate, Tag("batch")] | Annotated[UsageEventCreate, Tag("single")],
    Discriminator(_body_kind),
]
"""A single event, or ``{"events": [...]}``."""


class UsageIngestRead(ReadSchema):
    """What a usage report recorded."""

    tenant_id: uuid.UUID
    received: int = Field(description="Events in the request.")
    recorded: int = Field(description="Events recorded now.")
    duplicates: list[str] = Field(
        description="transaction_id values already recorded (or repeated in the request): "
        "acknowledged, not counted again."
    )
