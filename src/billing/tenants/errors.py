"""Errors of the tenants domain."""

from __future__ import annotations

from billing.core.errors import BadRequest, NotFound


class TenantNotFound(NotFound):
    """No visible tenant has this id."""

    code = "tenant_not_found"
    message = "Tenant not found."


class ResellerOutOfScope(BadRequest):
    """A reseller outside the caller's subtree was named."""

    code = "reseller_not_found"
    message = "Reseller not found."
