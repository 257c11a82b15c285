"""Request and response bodies of the billing profiles domain."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictBool, WithJsonSchema, model_validator

from billing.core.schemas import (
    CountryCode,
    CurrencyCode,
    EmailAddress,
    ReadSchema,
    VatId,
    WriteSchema,
)
from billing.settings.schemas import EasCode


class EInvoiceFormat(StrEnum):
    """The invoice format a tenant prefers to receive."""

    PDF = "pdf"
    UBL = "ubl"
    XRECHNUNG = "xrechnung"
    CII = "cii"
    ZUGFERD = "zugferd"
    FACTURX = "facturx"


ISO_639_1 = frozenset(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da
    de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy
    hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg
    li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or
    os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta
    te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
    """.split()
)
"""ISO 639-1 two-letter language codes."""


def _language(value: str) -> str:
    lower = value.lower()
    if lower not in ISO_639_1:
        raise ValueError("must be an ISO 639-1 two-letter language code such as 'en', 'fr' or 'rw'")
    return lower


LanguageCode = Annotated[
    str,
    AfterValidator(_language),
    WithJsonSchema({"type": "string", "pattern": "^[a-z]{2}$", "examples": ["en"]}),
]
"""An ISO 639-1 language code (case-insensitive on input, lower case on output)."""

_PHONE = re.compile(r"^\+?[0-9][0-9 ()./\-]{2,38}$")


def _phone(value: str) -> str:
    if not _PHONE.match(value):
        raise ValueError("must be a phone number of digits, e.g. '+254 712 345 678'")
    return value


PhoneNumber = Annotated[
    str,
    AfterValidator(_phone),
    WithJsonSchema({"type": "string", "maxLength": 40, "examples": ["+254 712 345 678"]}),
]
"""A phone number: an optional leading ``+``, digits and common separators."""


_FLAGS = frozenset({"attach_einvoice_to_email"})
"""The update's boolean fields."""


class BillingProfileUpdate(WriteSchema):
    """A create-or-merge: fields left out keep their values, null (or "") clears a field."""

    company_name: str | None = Field(
        default=None, max_length=300, description="Buyer name (BT-44)."
    )
    address_line1: str | None = Field(default=None, max_length=300, description="BT-50.")
    address_line2: str | None = Field(default=None, max_length=300, description="BT-51.")
    postal_code: str | None = Field(default=None, max_length=20, description="BT-53.")
    city: str | None = Field(default=None, max_length=120, description="BT-52.")
    state: str | None = Field(default=None, max_length=120, description="BT-54.")
    country_code: CountryCode | None = Field(default=None, description="BT-55.")
    vat_id: VatId | None = Field(default=None, description="Buyer VAT identifier (BT-48).")
    tax_id: str | None = Field(
        default=None, max_length=40, description="National tax number, e.g. a KRA PIN."
    )
    legal_registration_id: str | None = Field(
        default=None, max_length=60, description="Company registration number (BT-47)."
    )
    billing_email: EmailAddress | None = Field(default=None, description="Where invoices are sent.")
    contact_name: str | None = Field(default=None, max_length=200, description="BT-56.")
    phone: PhoneNumber | None = Field(default=None, description="BT-57.")
    buyer_reference: str | None = Field(
        default=None, max_length=200, description="BT-10; the Leitweg-ID for XRechnung."
    )
    peppol_endpoint_id: str | None = Field(
        default=None, max_length=200, description="Electronic address (BT-49); needs peppol_scheme."
    )
    peppol_scheme: EasCode | None = Field(
        default=None, description="EAS code of the electronic address (BT-49-1), e.g. '0088'."
    )
    purchase_order_reference: str | None = Field(
        default=None, max_length=200, description="Default purchase order reference (BT-13)."
    )
    preferred_einvoice_format: EInvoiceFormat | None = None
    attach_einvoice_to_email: StrictBool | None = Field(
        default=None, description="Attach the e-invoice to invoice e-mails; null resets to false."
    )
    language: LanguageCode | None = Field(default=None, description="ISO 639-1, e.g. 'en'.")
    currency: CurrencyCode | None = Field(default=None, description="Preferred currency.")

    @model_validator(mode="before")
    @classmethod
    def _blank_is_null(cls, data: Any) -> Any:
        # Forms send "" for an emptied input; treat it like null (clear the field). A flag is
        # no text input: "" there stays what it is, not a boolean.
        if isinstance(data, dict):
            return {
                key: None
                if key not in _FLAGS and isinstance(value, str) and not value.strip()
                else value
                for key, value in data.items()
            }
        return data


class BillingProfileRead(ReadSchema):
    """A tenant's billing profile."""

    tenant_id: uuid.UUID
    company_name: str | None
    address_line1: str | None
    address_line2: str | None
    postal_code: str | None
    city: str | None
    state: str | None
    country_code: str | None
    vat_id: str | None
    tax_id: str | None
    legal_registration_id: str | None
    billing_email: str | None
    contact_name: str | None
    phone: str | None
    buyer_reference: str | None
    peppol_endpoint_id: str | None
    peppol_scheme: str | None
    purchase_order_reference: str | None
    preferred_einvoice_format: EInvoiceFormat | None
    attach_einvoice_to_email: bool
    language: str | None
    currency: str | None
    created_at: datetime
    updated_at: datetime
