"""Bodies of the payment account routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictBool, field_validator

from billing.core.schemas import CurrencyCode, ReadSchema, WriteSchema

IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]+$"
"""No control character (PostgreSQL cannot store a NUL)."""


class AcceptedMethod(StrEnum):
    """A way a payer may pay an invoice of the account (the settings' method names)."""

    MPESA = "mpesa"
    PESAPAL = "pesapal"
    STRIPE = "stripe"
    MOLLIE = "mollie"
    BANK = "bank"
    CASH_ON_DELIVERY = "cash_on_delivery"
    CASH = "cash"


_ALIASES = {"card": "stripe"}


def _method_alias(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        return _ALIASES.get(lowered, lowered)
    return value


AcceptedMethodInput = Annotated[AcceptedMethod, BeforeValidator(_method_alias)]
"""An accepted method on input; ``card`` is ``stripe``."""


def _distinct(methods: list[AcceptedMethod] | None) -> list[AcceptedMethod] | None:
    if methods is None:
        return None
    if len(set(methods)) != len(methods):
        raise ValueError("each method may be listed once")
    return methods


class PaymentAccountCreate(WriteSchema):
    """A new payment account."""

    identifier: str = Field(
        pattern=IDENTIFIER_PATTERN,
        description="What merchants send as paymentAccountIdentifier; unique.",
        examples=["RWF-MAIN"],
    )
    name: str = Field(min_length=1, max_length=200, pattern=TEXT_PATTERN)
    currency: CurrencyCode = Field(description="The currency of every invoice on this account.")
    accepted_methods: list[AcceptedMethodInput] = Field(
        min_length=1,
        max_length=len(AcceptedMethod),
        json_schema_extra={"uniqueItems": True},
        description="Methods a payer may use on the hosted page (also limited by the enabled "
        "methods in the settings and by what each provider charges in the currency).",
    )
    active: StrictBool = True

    @field_validator("accepted_methods")
    @classmethod
    def _one_each(cls, value: list[AcceptedMethod]) -> list[AcceptedMethod]:
        checked = _distinct(value)
        assert checked is not None
        return checked


class PaymentAccountUpdate(WriteSchema):
    """A partial update; fields left out keep their values. Invoices already created keep
    their currency; the methods their pages offer follow the account."""

    identifier: str | None = Field(default=None, pattern=IDENTIFIER_PATTERN)
    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=TEXT_PATTERN)
    currency: CurrencyCode | None = None
    accepted_methods: list[AcceptedMethodInput] | None = Field(
        default=None,
        min_length=1,
        max_length=len(AcceptedMethod),
        json_schema_extra={"uniqueItems": True},
    )
    active: StrictBool | None = None

    @field_validator("accepted_methods")
    @classmethod
    def _one_each(cls, value: list[AcceptedMethod] | None) -> list[AcceptedMethod] | None:
        return _distinct(value)


class PaymentAccountRead(ReadSchema):
    """A payment account."""

    id: uuid.UUID
    identifier: str
    name: str
    currency: str
    accepted_methods: list[AcceptedMethod]
    active: bool
    created_at: datetime
    updated_at: datetime


class PaymentAccountDeleted(ReadSchema):
    """What is left of a deleted account: its id."""

    id: uuid.UUID
    deleted: bool = True
