"""Request and response bodies of API key management."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from billing.auth.principal import Permission
from billing.core.schemas import IsoDateTime, ReadSchema, WriteSchema


class ApiKeyCreate(WriteSchema):
    """A new API key."""

    name: str = Field(min_length=1, max_length=200)
    scopes: list[Permission] = Field(min_length=1, max_length=len(Permission))
    tenant_id: uuid.UUID | None = Field(
        default=None, description="Bind the key to one tenant (it then acts as that tenant)."
    )
    expires_at: IsoDateTime | None = None


class ApiKeyRead(ReadSchema):
    """An API key as listed: never the secret."""

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    tenant_id: uuid.UUID | None
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class ApiKeyCreated(ApiKeyRead):
    """A freshly created key: the only time its secret is shown."""

    secret: str = Field(description="Shown once; store it now.")
