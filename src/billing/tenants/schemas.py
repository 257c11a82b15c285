"""Request and response bodies of the tenants domain."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from billing.core.schemas import CountryCode, CurrencyCode, EmailAddress, ReadSchema, WriteSchema
from billing.models.states import TenantStatus


class TenantCreate(WriteSchema):
    """A new tenant."""

    name: str = Field(min_length=1, max_length=200)
    legal_name: str | None = Field(default=None, max_length=300)
    email: EmailAddress | None = None
    country_code: CountryCode | None = None
    default_currency: CurrencyCode = "EUR"
    status: TenantStatus = TenantStatus.ACTIVE
    reseller_id: uuid.UUID | None = Field(
        default=None, description="Defaults to the calling reseller for reseller principals."
    )


class TenantUpdate(WriteSchema):
    """A partial update: fields left out keep their values."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    legal_name: str | None = Field(default=None, max_length=300)
    email: EmailAddress | None = None
    country_code: CountryCode | None = None
    default_currency: CurrencyCode | None = None
    status: TenantStatus | None = None
    reseller_id: uuid.UUID | None = None


class TenantRead(ReadSchema):
    """A tenant."""

    id: uuid.UUID
    name: str
    legal_name: str | None
    email: str | None
    country_code: str | None
    default_currency: str
    status: TenantStatus
    reseller_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
