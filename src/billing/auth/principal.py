"""Who is calling: roles, permissions and the authenticated principal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    """Roles carried by the ``role`` claim of a JWT."""

    ADMIN = "admin"
    RESELLER = "reseller"
    TENANT_OWNER = "tenant_owner"
    TENANT_MEMBER = "tenant_member"

    @property
    def is_staff(self) -> bool:
        """Staff roles use ``/api/v1/admin``; tenant roles use ``/api/v1/billing``."""
        return self in (Role.ADMIN, Role.RESELLER)


class Permission(StrEnum):
    """Fine-grained permissions; also the scopes an API key may be given."""

    TENANTS_READ = "tenants:read"
    TENANTS_WRITE = "tenants:write"
    RESELLERS_READ = "resellers:read"
    RESELLERS_WRITE = "resellers:write"
    API_KEYS_MANAGE = "api_keys:manage"
    SETTINGS_READ = "settings:read"
    SETTINGS_WRITE = "settings:write"
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    INVOICES_READ = "invoices:read"
    INVOICES_WRITE = "invoices:write"
    INVOICES_DELETE = "invoices:delete"
    PAYMENTS_READ = "payments:read"
    PAYMENTS_WRITE = "payments:write"
    SUBSCRIPTIONS_READ = "subscriptions:read"
    SUBSCRIPTIONS_WRITE = "subscriptions:write"
    REPORTS_READ = "reports:read"
    BILLING_READ = "billing:read"
    BILLING_WRITE = "billing:write"


_STAFF_SHARED = frozenset(
    {
        Permission.TENANTS_READ,
        Permission.TENANTS_WRITE,
        Permission.RESELLERS_READ,
        Permission.RESELLERS_WRITE,
        Permission.SETTINGS_READ,
        Permission.CATALOG_READ,
        Permission.INVOICES_READ,
        Permission.INVOICES_WRITE,
        Permission.PAYMENTS_READ,
        Permission.PAYMENTS_WRITE,
        Permission.SUBSCRIPTIONS_READ,
        Permission.SUBSCRIPTIONS_WRITE,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission) - {Permission.BILLING_READ, Permission.BILLING_WRITE},
    Role.RESELLER: _STAFF_SHARED,
    Role.TENANT_OWNER: frozenset({Permission.BILLING_READ, Permission.BILLING_WRITE}),
    Role.TENANT_MEMBER: frozenset({Permission.BILLING_READ}),
}

TENANT_KEY_SCOPES = frozenset({Permission.BILLING_READ, Permission.BILLING_WRITE})


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a user with a JWT or an API key."""

    kind: Literal["user", "api_key"]
    subject: str
    role: Role
    permissions: frozenset[Permission]
    tenant_id: uuid.UUID | None = None
    reseller_id: uuid.UUID | None = None

    @property
    def key(self) -> str:
        """Who did it, as recorded on the rows a principal creates (``user:<sub>``)."""
        return f"{self.kind}:{self.subject}"

    @property
    def scope_key(self) -> str:
        """The whole identity (kind, role, tenant or reseller, subject): idempotency keys,
        caches and locks are scoped by it, so two principals that share a ``sub`` never meet."""
        owner = (
            f"tenant={self.tenant_id}"
            if self.tenant_id is not None
            else f"reseller={self.reseller_id}"
            if self.reseller_id is not None
            else "operator"
        )
        return f"{self.kind}:{self.role.value}:{owner}:{self.subject}"

    def has(self, permission: Permission) -> bool:
        """True when the principal holds ``permission``."""
        return permission in self.permissions
