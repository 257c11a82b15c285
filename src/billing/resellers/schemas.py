"""Request and response bodies of the resellers domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import Field

from billing.core.schemas import EmailAddress, RateString, ReadSchema, WriteSchema


class ResellerCreate(WriteSchema):
    """A new reseller."""

    name: str = Field(min_length=1, max_length=200)
    parent_id: uuid.UUID | None = Field(
        default=None, description="Parent reseller; resellers default to themselves."
    )
    commission_rate: RateString = Field(
        default=Decimal("0.00"),
        ge=0,
        le=100,
        max_digits=5,
        decimal_places=2,
        description="Percent.",
    )
    email: EmailAddress | None = None


class ResellerUpdate(WriteSchema):
    """A partial update."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    parent_id: uuid.UUID | None = None
    commission_rate: RateString | None = Field(
        default=None, ge=0, le=100, max_digits=5, decimal_places=2
    )
    email: EmailAddress | None = None


class ResellerRead(ReadSchema):
    """A reseller."""

    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    commission_rate: RateString
    email: str | None
    created_at: datetime
    updated_at: datetime
