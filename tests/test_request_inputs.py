"""Every input the app takes refuses what its schema does not describe.

* A request body model refuses any JSON it does not take with a ``ValidationError``. A
  validator that raises anything else (a ``TypeError`` from hashing an object, say) escapes
  FastAPI's validation and answers 500 instead of 422. The fuzzer finds such a field only when
  it happens to send the right shape to it; this walks every field of every body and of the
  models nested in them.
* A boolean or integer field takes only a JSON boolean or integer: Pydantic would read ``0``
  as ``false`` and ``false`` as ``0``, accepting what ``openapi.json`` says is invalid.
* A date in a query is written ``YYYY-MM-DD``: Pydantic would read ``0`` as 1970-01-01.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi._compat import ModelField
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import AliasChoices, BaseModel, ValidationError

# JSON a client may send where a field expects something else: every JSON type, nesting,
# numbers beyond any column, text that looks like a number, a date or nothing.
ODD_VALUES: tuple[Any, ...] = (
    {},
    {"": None},
    {"id": {}},
    [],
    [{}],
    [[]],
    [1, "1"],
    None,
    True,
    0,
    -1,
    10**40,
    1e308,
    -0.0,
    "",
    " ",
    "\x00",
    "NaN",
    "-Infinity",
    "1e999",
    "9" * 60,
    "0.0000001",
    "2026-13-45",
    "x" * 5000,
)


def _body_models(app: FastAPI) -> Iterator[type[BaseModel]]:
    """The models of the bodies ``openapi.json`` describes, and the models nested in them."""
    seen: set[type[BaseModel]] = set()
    pending: list[type[BaseModel]] = []
    for context in iter_route_contexts(app.routes):
        route = context.route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for body in _body_params(route.dependant):
            pending.extend(_types_in(body.field_info.annotation))
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.add(model)
        yield model
        for field in model.model_fields.values():
            pending.extend(_types_in(field.annotation))


def _body_params(dependant: Dependant) -> Iterator[ModelField]:
    yield from dependant.body_params
    for dependency in dependant.dependencies:
        yield from _body_params(dependency)


def _types_in(hint: Any) -> Iterator[type[BaseModel]]:
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        yield hint
    for argument in typing.get_args(hint):
        yield from _types_in(argument)


def _field_names(model: type[BaseModel]) -> list[str]:
    names: set[str] = set()
    for name, field in model.model_fields.items():
        names.add(field.alias or name)
        names.add(name)
        alias = field.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        names.update(choice for choice in choices if isinstance(choice, str))
    return sorted(names)


def _escapes(model: type[BaseModel], payload: Any) -> str | None:
    try:
        model.model_validate(payload)
    except ValidationError:
        return None
    except Exception as exc:  # any other exception is what the test reports
        return f"{model.__module__}.{model.__name__} {str(payload)[:80]}: {exc!r}"[:300]
    return None


def test_odd_json_in_any_field_is_a_validation_error(app: FastAPI) -> None:
    models = list(_body_models(app))
    assert len(models) > 50
    escapes: list[str] = []
    for model in models:
        names = _field_names(model)
        for value in ODD_VALUES:
            payloads: list[Any] = [value, dict.fromkeys(names, value)]
            payloads += [{name: value} for name in names]
            escapes += filter(None, (_escapes(model, payload) for payload in payloads))
    assert escapes == []


@pytest.mark.parametrize("value", [{}, [{}]])
def test_the_fields_of_one_body_are_walked_under_each_name(app: FastAPI, value: Any) -> None:
    # The proration request takes its price under three names and compares what it is given
    # under each (seed 003): an object under two of them is a validation error.
    from billing.subscriptions.schemas import ProrationQuoteRequest

    assert ProrationQuoteRequest in set(_body_models(app))
    assert {"new_price_id", "new_service_id", "subscriber_id"} <= set(
        _field_names(ProrationQuoteRequest)
    )
    payload = {"tenant_id": value, "subscriber_id": value, "price_id": value}
    assert _escapes(ProrationQuoteRequest, payload) is None


# JSON values of the wrong type that Pydantic's lax mode would turn into the right one (a
# form's blank input included).
NOT_BOOLEANS: tuple[Any, ...] = (0, 1, "true", "false", "yes", "1", 0.0, "", " ")
NOT_INTEGERS: tuple[Any, ...] = (True, False, "1", "12", 1.5, "")


@dataclass(frozen=True, slots=True)
class ScalarField:
    """A body field ``openapi.json`` types as boolean or integer, or as an array of them."""

    name: str
    json_type: str
    is_array: bool

    def payload(self, value: Any) -> dict[str, Any]:
        return {self.name: [value] if self.is_array else value}


def _scalar_fields(model: type[BaseModel]) -> Iterator[ScalarField]:
    schema = model.model_json_schema(by_alias=True)
    for name, prop in schema.get("properties", {}).items():
        options = [prop, *prop.get("anyOf", [])]
        for option in options:
            item = option.get("items", {}) if option.get("type") == "array" else option
            json_type = item.get("type")
            if json_type in ("boolean", "integer"):
                yield ScalarField(name, json_type, is_array=item is not option)
                break


def _refused(model: type[BaseModel], field: ScalarField, value: Any) -> bool:
    """Whether the field itself refused ``value`` (other fields may be missing)."""
    try:
        model.model_validate(field.payload(value))
    except ValidationError as exc:
        return any(error["loc"][:1] == (field.name,) for error in exc.errors())
    return False


def test_booleans_and_integers_take_only_their_own_json_type(app: FastAPI) -> None:
    accepted: list[str] = []
    fields = [(model, field) for model in _body_models(app) for field in _scalar_fields(model)]
    for model, field in fields:
        for value in NOT_BOOLEANS if field.json_type == "boolean" else NOT_INTEGERS:
            if not _refused(model, field, value):
                accepted.append(f"{model.__name__}.{field.name} = {field.payload(value)!r}")
    assert len(fields) > 35
    assert {field.is_array for _, field in fields} == {True, False}
    assert accepted == []


def test_query_dates_are_written_as_dates(app: FastAPI) -> None:
    lax: list[str] = []
    checked = 0
    for context in iter_route_contexts(app.routes):
        route = context.route
        if not isinstance(route, APIRoute):
            continue
        for field in get_flat_params(route.dependant):
            schema = str(field.field_info.annotation)
            if "datetime.date" not in schema:
                continue
            checked += 1
            for value in ("0", "1700000000", "20260501", "2026-5-1"):
                _, errors = field.validate(value, {}, loc=("query", field.alias))
                if not errors:
                    lax.append(f"{context.path} {field.alias}={value}")
    assert checked > 20
    assert lax == []
