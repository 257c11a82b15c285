"""Errors of the commission report."""

from __future__ import annotations

from billing.core.errors import Forbidden, Unprocessable


class ResellerRequired(Unprocessable):
    """Operator staff name the reseller whose commission they want."""

    code = "reseller_id_required"
    message = "Name the reseller with reseller_id."


class OtherResellerCommission(Forbidden):
    """A reseller sees its own commission only, not that of resellers below it."""

    code = "commission_of_other_reseller"
    message = "A reseller sees only its own commission."
