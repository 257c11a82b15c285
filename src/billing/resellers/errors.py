"""Errors of the resellers domain."""

from __future__ import annotations

from billing.core.errors import BadRequest, Forbidden, NotFound


class ResellerNotFound(NotFound):
    """No visible reseller has this id."""

    code = "reseller_not_found"
    message = "Reseller not found."


class ResellerCycle(BadRequest):
    """A reseller cannot become its own ancestor."""

    code = "reseller_cycle"
    message = "A reseller cannot be placed under itself or one of its descendants."


class ResellerRootForbidden(Forbidden):
    """Resellers manage only resellers below them."""

    code = "reseller_root_forbidden"
    message = "Resellers can only create or move resellers inside their own subtree."


class CommissionRateAdminOnly(Forbidden):
    """Commission rates are what the operator pays; only operator staff set them."""

    code = "commission_rate_admin_only"
    message = "Only operator staff (admins) can set a reseller's commission rate."
