"""Schema bases and shared field types for request and response bodies."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    GetJsonSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

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


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(key) or _contains_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_contains_nul(item) for item in value)
    return False


class WriteSchema(BaseModel):
    """Request bodies: unknown fields are refused, strings are stripped, and text holding a
    NUL character (which PostgreSQL cannot store) is a validation error, not a failed insert."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _contains_nul(data):
            raise ValueError("text must not contain NUL (\\u0000) characters")
        return data


def required_in_schema(*names: str) -> Callable[[dict[str, Any]], None]:
    """A ``json_schema_extra`` that documents ``names`` as required, non-null properties.

    For fields the server requires but checks itself, so that leaving one out gets the
    route's own error (a seed's exact message) instead of a generic validation error; the
    schema must still tell clients the truth.
    """

    def document(schema: dict[str, Any]) -> None:
        properties = schema.get("properties", {})
        for name in names:
            prop = properties[name]
            prop.pop("default", None)
            options = prop.pop("anyOf", None)
            if options is not None:
                prop.update(next(o for o in options if o.get("type") != "null"))
        schema["required"] = [*schema.get("required", []), *names]

    return document


def _decimal_str(value: Decimal) -> str:
    return format(value, "f")


def _bound(value: Any) -> int | float:
    # JSON Schema bounds are JSON numbers; rates and limits here are small, exact values.
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def decimal_pattern(
    *, max_digits: int | None, decimal_places: int | None, negative: bool = True
) -> str:
    """A regular expression for the text of a decimal within ``max_digits``/``decimal_places``.

    Trailing zeros beyond ``decimal_places`` are allowed (``"1.500"`` has two places), as the
    server counts digits after normalising.
    """
    whole_digits = max_digits
    if max_digits is not None and decimal_places is not None:
        whole_digits = max_digits - decimal_places
    whole = (
        r"\d+"
        if whole_digits is None
        else ("0" if whole_digits <= 0 else rf"\d{{1,{whole_digits}}}")
    )
    if decimal_places is None:
        fraction = r"(\.\d+)?"
    elif decimal_places == 0:
        fraction = r"(\.0*)?"
    else:
        fraction = rf"(\.\d{{1,{decimal_places}}}0*)?"
    return f"^{'-?' if negative else ''}{whole}{fraction}$"


class DecimalJsonSchema:
    """The JSON Schema of a decimal sent as a string, with the field's bounds made visible.

    Pydantic documents a ``Decimal`` as ``number | string`` and keeps ``max_digits`` and
    ``decimal_places`` to itself. On the wire our decimals are strings, so this states a
    string with a ``pattern`` (digits, places, sign), the numeric bounds as JSON Schema
    keywords (``exclusiveMinimum: 0`` for amounts that must be positive) and an example that
    fits the kind of value. The bounds are read from the field's own constraints, so
    ``Field(gt=0, decimal_places=4)`` on any field of these types is described correctly.
    """

    def __init__(self, example: str) -> None:
        self.example = example

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The string schema; ``core_schema`` is the decimal schema with the constraints."""
        constraints: Mapping[str, Any] = core_schema if core_schema.get("type") == "decimal" else {}
        lower = constraints.get("ge", constraints.get("gt"))
        schema: dict[str, Any] = {
            "type": "string",
            "format": "decimal",
            "pattern": decimal_pattern(
                max_digits=constraints.get("max_digits"),
                decimal_places=constraints.get("decimal_places"),
                negative=lower is None or Decimal(str(lower)) < 0,
            ),
        }
        for keyword, name in (
            ("gt", "exclusiveMinimum"),
            ("ge", "minimum"),
            ("lt", "exclusiveMaximum"),
            ("le", "maximum"),
        ):
            if constraints.get(keyword) is not None:
                schema[name] = _bound(constraints[keyword])
        schema["examples"] = [self.example]
        return schema


# Pydantic reads a JSON number through its text (0.1 stays Decimal("0.1")), so numbers are
# accepted on input; responses always carry the string form the schemas document.
_AS_STRING = PlainSerializer(_decimal_str, return_type=str, when_used="json")

DecimalString = Annotated[Decimal, _AS_STRING, DecimalJsonSchema("116.00")]
"""An amount as a decimal string (accepted as a string or a number, returned as a string)."""

MoneyString = Annotated[Decimal, _MoneyAmount(), _AS_STRING, DecimalJsonSchema("116.00")]
"""An amount of money in the enclosing model's ``currency``: a decimal string, rounded."""

PriceString = Annotated[Decimal, _AS_STRING, DecimalJsonSchema("12.50")]
"""A unit price: a decimal string that may carry more places than the currency."""

QuantityString = Annotated[Decimal, _AS_STRING, DecimalJsonSchema("2.5")]
"""A quantity (hours, pieces, gigabytes): a decimal string."""

RateString = Annotated[Decimal, _AS_STRING, DecimalJsonSchema("16.00")]
"""A percentage (VAT rate, commission): a decimal string, ``"16.00"`` is 16 %."""


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
