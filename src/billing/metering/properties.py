"""Checking and storing the properties of usage events.

Numeric properties (of ``sum``, ``max`` and ``latest`` metrics) are read exactly: the request
body is parsed with decimals, never floats (``billing.metering.routing``), and a value must fit
the quantities the service stores (``NUMERIC(20, 6)``: 14 digits before the point, 6 after).
They are stored as JSON numbers, so aggregation reads them with one cast that cannot fail.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal

from billing.models.usage import NUMERIC_AGGREGATIONS, Aggregation, BillableMetric

Scalar = bool | int | Decimal | str | None

MAX_WHOLE_DIGITS = 14
MAX_PLACES = 6
LIMIT = Decimal(10) ** MAX_WHOLE_DIGITS


def numeric_problem(value: Scalar) -> str | None:
    """Why ``value`` cannot be a numeric property (None when it can)."""
    if isinstance(value, bool) or value is None:
        return "must be a number"
    if isinstance(value, str):
        try:
            value = Decimal(value)
        except ArithmeticError:
            return "must be a number"
    number = Decimal(value)
    if not number.is_finite():
        return "must be a finite number"
    if number < 0:
        return "must not be negative"
    if number >= LIMIT:
        return (
            f"must be below 10^{MAX_WHOLE_DIGITS} "
            f"(at most {MAX_WHOLE_DIGITS} digits before the point)"
        )
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_PLACES:
        return f"has more than {MAX_PLACES} decimals"
    return None


def normalized(
    metric: BillableMetric, properties: Mapping[str, Scalar]
) -> tuple[dict[str, Scalar], str | None]:
    """The properties to store (a numeric string of a numeric metric becomes a number) and
    the problem with the aggregated one, if any."""
    if Aggregation(metric.aggregation) not in NUMERIC_AGGREGATIONS or metric.property is None:
        return dict(properties), None
    name = metric.property
    if name not in properties:
        return dict(properties), None  # counts as no value (skipped by the aggregation)
    value = properties[name]
    problem = numeric_problem(value)
    if problem is not None:
        return dict(properties), f"properties.{name}: {problem}"
    stored = dict(properties)
    stored[name] = Decimal(value) if isinstance(value, str) else value
    return stored, None


def to_json(properties: Mapping[str, Scalar]) -> str:
    """JSON text of flat scalar properties, decimals written as exact JSON numbers."""
    parts = []
    for key, value in properties.items():
        if isinstance(value, bool) or value is None or isinstance(value, str):
            encoded = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, Decimal):
            encoded = format(value, "f")
        else:
            encoded = str(value)
        parts.append(f"{json.dumps(key, ensure_ascii=False)}:{encoded}")
    return "{" + ",".join(parts) + "}"
