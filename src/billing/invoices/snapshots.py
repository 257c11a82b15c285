"""Frozen copies of the buyer and seller as they stood when the invoice was made or issued."""

from __future__ import annotations

from typing import Any

from billing.models.billing_profile import BillingProfile
from billing.models.tenant import Tenant
from billing.settings.schemas import OperatorSettings

_PROFILE_FIELDS = (
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "state",
    "country_code",
    "vat_id",
    "tax_id",
    "legal_registration_id",
    "contact_name",
    "phone",
    "buyer_reference",
    "peppol_endpoint_id",
    "peppol_scheme",
)


def buyer_snapshot(
    tenant: Tenant, profile: BillingProfile | None, overrides: dict[str, Any]
) -> dict[str, Any]:
    """The buyer: the tenant's billing profile, then the invoice's own customer fields."""
    buyer: dict[str, Any] = {
        "name": tenant.legal_name or tenant.name,
        "email": tenant.email,
        "country_code": tenant.country_code,
    }
    if profile is not None:
        if profile.company_name:
            buyer["name"] = profile.company_name
        if profile.billing_email:
            buyer["email"] = profile.billing_email
        for field in _PROFILE_FIELDS:
            value = getattr(profile, field)
            if value is not None:
                buyer[field] = value
    buyer.update({key: value for key, value in overrides.items() if value is not None})
    return buyer


def seller_snapshot(settings: OperatorSettings) -> dict[str, Any]:
    """The seller block of the settings, as JSON."""
    return settings.seller.model_dump(mode="json")
