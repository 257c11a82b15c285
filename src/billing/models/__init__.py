"""ORM models; importing this package registers every table on ``Base.metadata``."""

from billing.models.api_key import ApiKey
from billing.models.base import Base, TenantScopedMixin, TimestampMixin
from billing.models.idempotency import IdempotencyRecord
from billing.models.tenant import Reseller, Tenant, TenantStatus

__all__ = [
    "ApiKey",
    "Base",
    "IdempotencyRecord",
    "Reseller",
    "Tenant",
    "TenantScopedMixin",
    "TenantStatus",
    "TimestampMixin",
]
