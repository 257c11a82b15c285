"""Request and response bodies of the catalog domain."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    Field,
    StrictBool,
    WithJsonSchema,
    computed_field,
    field_validator,
    model_validator,
)

from billing.core.money import minor_unit
from billing.core.schemas import (
    CountryCode,
    CurrencyCode,
    PriceString,
    RateString,
    ReadSchema,
    WriteSchema,
)
from billing.core.totals import VatCategory

_VATEX = re.compile(r"^VATEX-[A-Z]{2}-[A-Z0-9]+(?:-[A-Z0-9]+)*$")


def _vatex(value: str) -> str:
    upper = value.upper()
    if not _VATEX.match(upper):
        raise ValueError(
            "must be a VATEX exemption reason code such as 'VATEX-EU-IC', 'VATEX-EU-AE' "
            "or 'VATEX-EU-132-1A'"
        )
    return upper


VatexCode = Annotated[
    str,
    AfterValidator(_vatex),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 40,
            "pattern": _VATEX.pattern,
            "examples": ["VATEX-EU-IC"],
        }
    ),
]
"""A VATEX exemption reason code (CEF VATEX code list), upper case."""

_UNIT_CODE = re.compile(r"^[A-Z0-9]{2,3}$")


def _unit_code(value: str) -> str:
    upper = value.upper()
    if not _UNIT_CODE.match(upper):
        raise ValueError(
            "must be a UN/ECE Recommendation 20 unit code of 2 or 3 letters or digits, "
            "e.g. 'C62' (one), 'HUR' (hour), 'KGM' (kilogram)"
        )
    return upper


UnitCode = Annotated[
    str,
    AfterValidator(_unit_code),
    WithJsonSchema({"type": "string", "pattern": _UNIT_CODE.pattern, "examples": ["C62"]}),
]
"""A UN/ECE Recommendation 20 unit of measure code (BT-130)."""


def _with_places(value: Decimal, places: int) -> Decimal:
    """``value`` without trailing zeros, but with at least ``places`` decimals."""
    normalized = value.normalize()
    exponent = normalized.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -places:
        return value.quantize(Decimal(1).scaleb(-places))
    return normalized


# --- Tax rates ---------------------------------------------------------------------------------

_RATE_DESCRIPTION = "Percent, 0 to 100 with up to 4 decimals; 0 for every category but S."
_CATEGORY_DESCRIPTION = (
    "EN 16931 VAT category: S standard, Z zero rated, E exempt, AE reverse charge, "
    "K intra-community supply, G export outside the EU, O outside the scope of VAT."
)
_REASON_CODE_DESCRIPTION = (
    "VATEX code (BT-121); categories E, AE, K, G and O need it or exemption_reason."
)


class TaxRateCreate(WriteSchema):
    """A new tax rate."""

    name: str = Field(min_length=1, max_length=200)
    rate: RateString = Field(
        ge=0, le=100, max_digits=7, decimal_places=4, description=_RATE_DESCRIPTION
    )
    category: VatCategory = Field(description=_CATEGORY_DESCRIPTION)
    exemption_reason_code: VatexCode | None = Field(
        default=None, max_length=40, description=_REASON_CODE_DESCRIPTION
    )
    exemption_reason: str | None = Field(
        default=None, min_length=1, max_length=500, description="Exemption reason text (BT-120)."
    )
    country_code: CountryCode | None = Field(
        default=None, description="Country the rate applies to; empty for any country."
    )
    active: StrictBool = True


class TaxRateUpdate(WriteSchema):
    """A partial update: fields left out keep their values; null clears the optional ones."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    rate: RateString | None = Field(
        default=None, ge=0, le=100, max_digits=7, decimal_places=4, description=_RATE_DESCRIPTION
    )
    category: VatCategory | None = Field(default=None, description=_CATEGORY_DESCRIPTION)
    exemption_reason_code: VatexCode | None = Field(
        default=None, max_length=40, description=_REASON_CODE_DESCRIPTION
    )
    exemption_reason: str | None = Field(default=None, min_length=1, max_length=500)
    country_code: CountryCode | None = None
    active: StrictBool | None = None


class TaxRateRead(ReadSchema):
    """A tax rate."""

    id: uuid.UUID
    name: str
    rate: RateString = Field(description="Percent, at least two decimals: '16.00'.")
    category: VatCategory
    exemption_reason_code: str | None
    exemption_reason: str | None
    country_code: str | None
    active: bool
    created_at: datetime
    updated_at: datetime

    @field_validator("rate")
    @classmethod
    def _display_rate(cls, value: Decimal) -> Decimal:
        return _with_places(value, 2)


# --- Products ----------------------------------------------------------------------------------

_CODE_ALIASES = AliasChoices("code", "sku")
_CODE_DESCRIPTION = "Unique product code; also accepted as 'sku'."
_PRICE_DESCRIPTION = "Net unit price (BT-146), at least 0, up to 6 decimals."


def _code_or_sku(data: Any) -> Any:
    if isinstance(data, dict) and "code" in data and "sku" in data:
        if data["code"] != data["sku"]:
            raise ValueError("send the product code as 'code' or as 'sku', not both")
        return {key: value for key, value in data.items() if key != "sku"}
    return data


class ProductCreate(WriteSchema):
    """A new product."""

    code: str = Field(
        min_length=1, max_length=100, validation_alias=_CODE_ALIASES, description=_CODE_DESCRIPTION
    )
    name: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    unit_price: PriceString = Field(
        ge=0, max_digits=20, decimal_places=6, description=_PRICE_DESCRIPTION
    )
    currency: CurrencyCode
    tax_rate_id: uuid.UUID | None = Field(
        default=None, description="Default tax rate of invoice lines for this product."
    )
    unit_code: UnitCode = Field(default="C62", description="UN/ECE Rec 20 unit (BT-130).")
    active: StrictBool = True

    @model_validator(mode="before")
    @classmethod
    def _one_code(cls, data: Any) -> Any:
        return _code_or_sku(data)


class ProductUpdate(WriteSchema):
    """A partial update: fields left out keep their values; null clears the optional ones."""

    code: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        validation_alias=_CODE_ALIASES,
        description=_CODE_DESCRIPTION,
    )
    name: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    unit_price: PriceString | None = Field(
        default=None, ge=0, max_digits=20, decimal_places=6, description=_PRICE_DESCRIPTION
    )
    currency: CurrencyCode | None = None
    tax_rate_id: uuid.UUID | None = None
    unit_code: UnitCode | None = None
    active: StrictBool | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_code(cls, data: Any) -> Any:
        return _code_or_sku(data)


class ProductRead(ReadSchema):
    """A product; ``sku`` repeats ``code`` for clients that use that name."""

    id: uuid.UUID
    code: str
    name: str
    description: str | None
    unit_price: PriceString = Field(
        description="At least the currency's minor-unit decimals: '12.50', '0.0125'."
    )
    currency: str
    tax_rate_id: uuid.UUID | None
    unit_code: str
    active: bool
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sku(self) -> str:
        """The product code under its other name."""
        return self.code

    @model_validator(mode="after")
    def _display_price(self) -> ProductRead:
        self.unit_price = _with_places(self.unit_price, minor_unit(self.currency))
        return self


class CatalogDeleted(BaseModel):
    """What is left of a deleted catalog entry: its id."""

    id: uuid.UUID
    deleted: bool = True
