"""Schema bases and shared field types for request and response bodies."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Self, get_args

import email_validator
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from billing.core.countries import COUNTRIES
from billing.core.money import UnknownCurrencyError, normalize_currency, round_money
from billing.core.text import SAFE_TEXT_PATTERN, text_problem


class _MoneyAmount:
    """Marks a field as an amount of the model's ``currency`` (rounded on output)."""


def _is_money(metadata: Sequence[Any], annotation: Any) -> bool:
    """A ``MoneyString`` field, optional (``MoneyString | None``) or not."""
    if any(isinstance(marker, _MoneyAmount) for marker in metadata):
        return True
    return any(
        isinstance(marker, _MoneyAmount)
        for option in get_args(annotation)
        for marker in getattr(option, "__metadata__", ())
    )


@functools.cache
def _money_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The names of ``model``'s amount fields: read once per class, not on every response."""
    return tuple(
        name
        for name, field in model.model_fields.items()
        if _is_money(field.metadata, field.annotation)
    )


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
        for name in _money_fields(type(self)):
            value = getattr(self, name)
            if isinstance(value, Decimal):
                object.__setattr__(self, name, round_money(value, currency))
        return self

    def updated(self, **changes: Any) -> Self:
        """A copy with ``changes``, validated (and so rounded) like the original.

        ``model_copy(update=...)`` skips validation: an amount set through it would keep
        its storage scale (``"10.0000"``).
        """
        return type(self).model_validate({**dict(self), **changes})


def _refuse_control_characters(value: Any, path: str) -> None:
    if isinstance(value, str):
        problem = text_problem(value)
        if problem is not None:
            raise ValueError(f"{path or 'value'}: {problem}")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _refuse_control_characters(key, path)
            _refuse_control_characters(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _refuse_control_characters(item, f"{path}[{index}]")


def mark_text(schema: dict[str, Any]) -> None:
    """Add ``SAFE_TEXT_PATTERN`` to a free-text string schema (and to the string options of
    ``anyOf`` and array items), so clients and fuzzers know control characters are refused.

    Strings that already carry a ``pattern``, a ``format`` or an ``enum`` are left alone.
    """
    for option in schema.get("anyOf", ()):
        mark_text(option)
    items = schema.get("items")
    if isinstance(items, dict):
        mark_text(items)
    if schema.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(schema):
        schema["pattern"] = SAFE_TEXT_PATTERN


def mark_text_properties(schema: dict[str, Any]) -> None:
    """A ``json_schema_extra`` stating ``SAFE_TEXT_PATTERN`` on a model's free-text properties
    (for models that are read back as well as written, so they cannot refuse stored text)."""
    for prop in schema.get("properties", {}).values():
        mark_text(prop)


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(key) or _contains_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_contains_nul(item) for item in value)
    return False


class WriteSchema(BaseModel):
    """Request bodies: unknown fields are refused, strings are stripped, and no string (at any
    depth, free-form objects included) may hold a NUL, another control character than tab and
    line breaks, or an unpaired surrogate: PostgreSQL cannot store them and no document should
    show them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _safe_text(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            _refuse_control_characters(data, "")
        return data

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The model's schema with ``SAFE_TEXT_PATTERN`` on its free-text properties."""
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        for prop in target.get("properties", {}).values():
            mark_text(prop)
            restate_decimal(prop)
        return schema


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


MAX_DECIMAL_DIGITS = 20
"""Digits any decimal may have (the widest NUMERIC column is 20 digits); fields narrow it."""

_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_DECIMAL_SYNTAX = (
    "must be a decimal number written with the digits 0-9, an optional '-' and an optional "
    "'.' fraction, such as '12.50' (no spaces, exponents or other digits)"
)


def _digit_count(number: Decimal) -> int:
    """The digits ``number`` needs, trailing zeros of its fraction and of its coefficient
    not counted (``16.0000`` needs two)."""
    return _written_digit_count(number.normalize())


def _written_digit_count(number: Decimal) -> int:
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    whole = max(len(digits) + exponent, 1)
    return whole + max(-exponent, 0)


@functools.lru_cache(maxsize=4096)
def _too_many_digits(number: Decimal) -> bool:
    # Every amount of every response passes here, mostly the same few values; equal decimals
    # need the same digits (16.0000 and 16 both need two), so the answer is kept per value.
    # Trailing zeros only ever add digits, so a number within the bound as written is within
    # it; only the rest pay for normalize().
    if _written_digit_count(number) <= MAX_DECIMAL_DIGITS:
        return False
    return _digit_count(number) > MAX_DECIMAL_DIGITS


def _decimal_input(value: Any) -> Any:
    """The strict reading of a decimal: ASCII digits only, at most ``MAX_DECIMAL_DIGITS``.

    Checked before Pydantic converts anything, because ``Decimal`` itself reads ``" 5 "``,
    full-width digits and ``"1e309"``, and the last one makes every later ``quantize`` fail.
    """
    if isinstance(value, bool):
        raise ValueError(_DECIMAL_SYNTAX)
    if isinstance(value, str):
        if not _DECIMAL_TEXT.fullmatch(value):
            raise ValueError(_DECIMAL_SYNTAX)
        number = Decimal(value)
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        number = Decimal(repr(value))  # the shortest text of the float: 0.1 stays 0.1
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("must be a finite number")
        number = value
    else:
        return value
    if _too_many_digits(number):
        raise ValueError(f"must have at most {MAX_DECIMAL_DIGITS} digits")
    return number


_STRICT_DECIMAL = BeforeValidator(_decimal_input)


def _bound(value: Any) -> int | float:
    # JSON Schema bounds are JSON numbers; rates and limits here are small, exact values.
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def decimal_pattern(
    *, max_digits: int | None, decimal_places: int | None, negative: bool = True
) -> str:
    """A regular expression for the text of a decimal within ``max_digits``/``decimal_places``.

    Trailing zeros beyond ``decimal_places`` are allowed (``"1.500"`` has two places), as the
    server counts digits after normalising. Digits are ``[0-9]``: the server refuses other
    Unicode digits, which ``\\d`` matches in some regex dialects.
    """
    max_digits = MAX_DECIMAL_DIGITS if max_digits is None else max_digits
    whole_digits = max_digits if decimal_places is None else max_digits - decimal_places
    whole = "0" if whole_digits <= 0 else f"[0-9]{{1,{whole_digits}}}"
    if decimal_places is None:
        fraction = f"(\\.[0-9]{{1,{max_digits}}})?"
    elif decimal_places == 0:
        fraction = r"(\.0*)?"
    else:
        fraction = f"(\\.[0-9]{{1,{decimal_places}}}0*)?"
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
        """The string schema; ``core_schema`` is the decimal schema with the constraints
        (under the strict-input validator that wraps it)."""
        inner: Mapping[str, Any] = core_schema
        while inner.get("type", "").startswith("function-") and "schema" in inner:
            inner = inner["schema"]
        constraints: Mapping[str, Any] = inner if inner.get("type") == "decimal" else {}
        schema: dict[str, Any] = {"type": "string", "format": "decimal"}
        _describe_decimal(schema, constraints)
        schema["examples"] = [self.example]
        return schema


_CONSTRAINT_KEYWORDS = (
    ("gt", "exclusiveMinimum"),
    ("ge", "minimum"),
    ("lt", "exclusiveMaximum"),
    ("le", "maximum"),
)
_PYDANTIC_ONLY = ("max_digits", "decimal_places", "gt", "ge", "lt", "le")


def _describe_decimal(schema: dict[str, Any], constraints: Mapping[str, Any]) -> None:
    lower = constraints.get("ge", constraints.get("gt"))
    schema["pattern"] = decimal_pattern(
        max_digits=constraints.get("max_digits"),
        decimal_places=constraints.get("decimal_places"),
        negative=lower is None or Decimal(str(lower)) < 0,
    )
    for keyword, name in _CONSTRAINT_KEYWORDS:
        if constraints.get(keyword) is not None:
            schema[name] = _bound(constraints[keyword])


def restate_decimal(schema: dict[str, Any]) -> None:
    """Turn constraints Pydantic left as its own keywords into the pattern and bounds.

    On an optional field (``DecimalString | None = Field(gt=0, max_digits=16)``) Pydantic
    cannot push the constraints into the decimal schema under the strict-input validator,
    so it validates them separately and copies them raw (``max_digits: 16``) into the JSON
    schema after ``DecimalJsonSchema`` ran.
    """
    for option in schema.get("anyOf", ()):
        restate_decimal(option)
    if schema.get("format") != "decimal":
        return
    leaked = {key: schema.pop(key) for key in _PYDANTIC_ONLY if key in schema}
    if leaked:
        _describe_decimal(schema, leaked)


# Pydantic reads a JSON number through its text (0.1 stays Decimal("0.1")), so numbers are
# accepted on input; responses always carry the string form the schemas document.
_AS_STRING = PlainSerializer(_decimal_str, return_type=str, when_used="json")

DecimalString = Annotated[Decimal, _STRICT_DECIMAL, _AS_STRING, DecimalJsonSchema("116.00")]
"""An amount as a decimal string (accepted as a string or a number, returned as a string)."""

MoneyString = Annotated[
    Decimal, _STRICT_DECIMAL, _MoneyAmount(), _AS_STRING, DecimalJsonSchema("116.00")
]
"""An amount of money in the enclosing model's ``currency``: a decimal string, rounded."""

PriceString = Annotated[Decimal, _STRICT_DECIMAL, _AS_STRING, DecimalJsonSchema("12.50")]
"""A unit price: a decimal string that may carry more places than the currency."""

QuantityString = Annotated[Decimal, _STRICT_DECIMAL, _AS_STRING, DecimalJsonSchema("2.5")]
"""A quantity (hours, pieces, gigabytes): a decimal string."""

RateString = Annotated[Decimal, _STRICT_DECIMAL, _AS_STRING, DecimalJsonSchema("16.00")]
"""A percentage (VAT rate, commission): a decimal string, ``"16.00"`` is 16 %."""

MONEY_DIGITS = 16
"""``max_digits`` of an amount sent by a client: 12 whole digits and 4 places, under the
largest amount the service books (``billing.core.money.MAX_AMOUNT``)."""
MONEY_PLACES = 4

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(9899, 12, 31)
"""Dates are kept well inside Python's year 9999, so a due date computed from an issue date
(up to ten years later) can never overflow."""
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_input(value: Any) -> Any:
    # Pydantic reads 0 and "0" as 1970-01-01 (a Unix time); a date here is written YYYY-MM-DD.
    if isinstance(value, date | datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


def _date_in_range(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"must lie between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date_input),
    AfterValidator(_date_in_range),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "description": f"YYYY-MM-DD, from {EARLIEST_DATE} to {LATEST_DATE}.",
            "examples": ["2026-05-01"],
        }
    ),
]
"""A calendar date written ``YYYY-MM-DD`` between ``EARLIEST_DATE`` and ``LATEST_DATE``."""

_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}.*")


def _iso_datetime_input(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.fullmatch(value):
        raise ValueError("must be an ISO 8601 date and time such as 2026-05-12T11:30:00Z")
    return value


def _datetime_in_range(value: datetime) -> datetime:
    if not EARLIEST_DATE <= value.date() <= LATEST_DATE:
        raise ValueError(f"must lie between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


IsoDateTime = Annotated[
    datetime,
    BeforeValidator(_iso_datetime_input),
    AfterValidator(_datetime_in_range),
]
"""A timestamp written in ISO 8601 (no Unix times), between ``EARLIEST_DATE`` and
``LATEST_DATE``."""


def _currency(value: str) -> str:
    try:
        return normalize_currency(value)
    except UnknownCurrencyError as exc:
        raise ValueError(str(exc)) from exc


CurrencyCode = Annotated[
    str,
    AfterValidator(_currency),
    # A pattern, not an enum of the 180 codes: generated clients keep a plain string type
    # (an enum makes every client wrap "EUR"); the list itself is checked by the server.
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[A-Za-z]{3}$",
            "description": "An active ISO 4217 code (the server checks the list).",
            "examples": ["EUR"],
        }
    ),
]
"""An ISO 4217 currency code (case-insensitive on input, upper case on output)."""

_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _country(value: str) -> str:
    upper = value.upper()
    if not _COUNTRY.match(upper) or upper not in COUNTRIES:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code such as 'DE'")
    return upper


CountryCode = Annotated[
    str,
    AfterValidator(_country),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[A-Za-z]{2}$",
            "description": "An assigned ISO 3166-1 alpha-2 code (the server checks the list).",
            "examples": ["KE"],
        }
    ),
]
"""An ISO 3166-1 alpha-2 country code (an assigned one; case-insensitive on input)."""

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

BASE_URL_PATTERN = r"^https?://[A-Za-z0-9.\-\[\]:]+(/[^\s?#]*)?$"
_BASE_URL = re.compile(BASE_URL_PATTERN)


def _base_url(value: str) -> str:
    if not _BASE_URL.match(value):
        raise ValueError(
            "must be an http(s) URL of this service without query or fragment, "
            "such as 'https://billing.example.com'"
        )
    return value.rstrip("/")


BaseUrl = Annotated[
    str,
    AfterValidator(_base_url),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 300,
            "pattern": _BASE_URL.pattern,
            "examples": ["https://billing.example.com"],
        }
    ),
]
"""The public base of the service's links (QR codes, provider callbacks): http(s), a host,
an optional path, no query; stored without a trailing slash."""


def _email_address(value: str) -> str:
    """Checked and normalised as ``pydantic.EmailStr`` does (email-validator, no DNS lookup)."""
    return _normalised_email(value.strip())


# Every response that carries an address checks it again (a buyer's e-mail on each invoice
# read); the same few thousand addresses come back again and again.
@functools.lru_cache(maxsize=4096)
def _normalised_email(value: str) -> str:
    try:
        checked = email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        raise PydanticCustomError(
            "value_error",
            "value is not a valid email address: {reason}",
            {"reason": str(error.args[0])},
        ) from error
    return str(checked.normalized)


# ``EmailStr`` looks up the installed email-validator's version on every value it checks (a
# scan of the package metadata on disk, on every response that carries an address); this
# type calls the same validator directly.
EmailAddress = Annotated[
    str, AfterValidator(_email_address), WithJsonSchema({"type": "string", "format": "email"})
]
