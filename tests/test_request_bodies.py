"""Every request body model refuses any JSON it does not take with a ``ValidationError``.

A validator that raises anything else (a ``TypeError`` from hashing an object, say) escapes
FastAPI's validation and answers 500 instead of 422. The fuzzer finds such a field only when
it happens to send the right shape to it; this walks every field of every body the app takes.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
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
    seen: set[type[BaseModel]] = set()
    for context in iter_route_contexts(app.routes):
        endpoint = getattr(context, "endpoint", None)
        if endpoint is None:
            continue
        hints = typing.get_type_hints(endpoint, include_extras=True)
        for name in inspect.signature(endpoint).parameters:
            for candidate in _types_in(hints.get(name)):
                if candidate not in seen:
                    seen.add(candidate)
                    yield candidate


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
