"""Errors of the billing profiles domain."""

from __future__ import annotations

from billing.core.errors import Unprocessable


class InvalidBillingProfile(Unprocessable):
    """The merged profile breaks a rule that spans several fields."""

    code = "billing_profile_invalid"
    message = "The billing profile is invalid."
