"""Schema bases and shared field types for request and response bodies."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from billing.core.money import UnknownCurrencyError, normalize_currency, round_money


class _MoneyAmount:
    """Marks a field as an amount of the model's ``currency`` (rounded on output)."""


class ReadSchema(BaseModel):
    """Response bodies, built from ORM objects.

    Fields typed ``MoneyString`` are rounded to the minor unit of the model's ``currency``, so
    stored NUMERIC scale (``16.0000``) never leaks into the API (``16.00``, JPY ``1600``).
    """

    model_config = ConfigDict(from_attributes=True)

    @model_validator(mode="after")
    def _round_money(self) -> Self:
        currency = getattr(self, "currency", None)
        if not isinstance(currency, str):
            return self
        for name, field in type(self).model_fields.items():
            if any(isinstance(marker, _MoneyAmount) for marker in field.metadata):
                value = getattr(self, name)
                if isinstance(value, Decimal):
                    object.__setattr__(self, name, round_money(value, currency))
        return self


class WriteSchema(BaseModel):
    """Request bodies: unknown fields are refused, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _float_via_text(value: Any) -> Any:
    # JSON numbers arrive as floats; go through their shortest text form so 0.1 stays 0.1
    # instead of Decimal(0.1) = 0.1000000000000000055...
    if isinstance(value, float):
        return str(value) if value == value and abs(value) != float("inf") else value
    return value


def _decimal_str(value: Decimal) -> str:
    return format(value, "f")


DecimalString = Annotated[
    Decimal,
    BeforeValidator(_float_via_text),
    PlainSerializer(_decimal_str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "decimal", "examples": ["116.00"]}),
]
"""A decimal accepted as a string (or number) and always returned as a string."""

MoneyString = Annotated[
    Decimal,
    _MoneyAmount(),
    BeforeValidator(_float_via_text),
    PlainSerializer(_decimal_str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "decimal", "examples": ["116.00"]}),
]
"""An amount of money in the enclosing model's ``currency``: a decimal string, rounded."""


def _currency(value: str) -> str:
    try:
        return normalize_currency(value)
    except UnknownCurrencyError as exc:
        raise ValueError(str(exc)) from exc


CurrencyCode = Annotated[
    str,
    AfterValidator(_currency),
    WithJsonSchema({"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["EUR"]}),
]
"""An ISO 4217 currency code (case-insensitive on input, upper case on output)."""

_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _country(value: str) -> str:
    upper = value.upper()
    if not _COUNTRY.match(upper):
        raise ValueError("must be an ISO 3166-1 alpha-2 country code such as 'DE'")
    return upper


CountryCode = Annotated[
    str,
    AfterValidator(_country),
    WithJsonSchema({"type": "string", "pattern": "^[A-Z]{2}$", "examples": ["KE"]}),
]
"""An ISO 3166-1 alpha-2 country code."""

_VAT_ID = re.compile(r"^[A-Z]{2}[A-Z0-9]{2,13}$")
_VAT_ID_SEPARATORS = re.compile(r"[\s.\-]")


def normalize_vat_id(value: str) -> str:
    """A VAT identifier without spaces, dots and dashes, upper case (``de 123.456.789``)."""
    return _VAT_ID_SEPARATORS.sub("", value).upper()


def _vat_id(value: str) -> str:
    compact = normalize_vat_id(value)
    if not _VAT_ID.match(compact):
        raise ValueError(
            "must be a VAT identifier with its two-letter country prefix followed by 2 to 13 "
            "letters or digits, e.g. 'DE123456789' or 'EL123456789' (EN 16931 BR-CO-09); "
            "put a national tax number without prefix in tax_id"
        )
    return compact


VatId = Annotated[
    str,
    AfterValidator(_vat_id),
    WithJsonSchema({"type": "string", "pattern": _VAT_ID.pattern, "examples": ["DE123456789"]}),
]
"""A VAT identifier with country prefix; spaces, dots and dashes removed, upper case."""
