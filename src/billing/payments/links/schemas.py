"""Seed 004's bodies, with the seed's camelCase names.

Money on the wire follows the service's rule (decimal strings, never floats); a JSON number is
accepted on input (``unitAmount`` is a Double in the seed) and read through its shortest text.
Fields beyond the seed are marked as extensions in their descriptions.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from billing.core.clock import utcnow
from billing.core.envelope import Meta
from billing.core.schemas import MoneyString, PriceString, ReadSchema
from billing.models.states import InvoiceStatus

MAX_ITEMS = 500
MAX_QUANTITY = 1_000_000
MAX_LINE = Decimal(10) ** 12
"""Largest unit amount x quantity of one item (amounts stay far inside the NUMERIC columns)."""
MAX_TOTAL = Decimal(10) ** 13


class SeedLanguage(StrEnum):
    """Languages of seed 004 (any case on input)."""

    EN = "EN"
    FR = "FR"
    RW = "RW"


class SeedPaymentStatus(StrEnum):
    """``NEW`` until the invoice is paid in full, then ``PAID``."""

    NEW = "NEW"
    PAID = "PAID"


class InvoiceKind(StrEnum):
    """``SINGLE``: one invoice. ``BATCH`` (several invoices paid together) is never created by
    these routes."""

    SINGLE = "SINGLE"
    BATCH = "BATCH"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def printable(value: str) -> str:
    """Refuse control characters (a NUL byte cannot even be stored)."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _free_text(value: str) -> str:
    # Descriptions may span lines; other control characters are refused.
    if _CONTROL.search(value.replace("\n", "").replace("\r", "").replace("\t", "")):
        raise ValueError("must not contain control characters")
    return value


SeedString = Annotated[StrictStr, AfterValidator(printable)]
"""A string of the seed's body: no control characters."""


class _Seed(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


_AMOUNT = re.compile(r"^\d{1,14}(\.\d{1,6})?$")


def _unit_amount(value: Any) -> Any:
    # A JSON number (the seed's Double) or a decimal string; never a bool, NaN or exponent.
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, int | float):
        value = repr(value) if isinstance(value, float) else str(value)
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        raise ValueError("must be a positive amount with at most 14 digits and 6 decimals")
    return Decimal(value)


UnitAmount = Annotated[
    Decimal,
    BeforeValidator(_unit_amount),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": _AMOUNT.pattern},
            ],
            "examples": [1500],
        }
    ),
]


def _future(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must carry a UTC offset, e.g. 2026-11-27T16:24:51.000+02:00")
    if value <= utcnow():
        raise ValueError("must be in the future")
    return value


def _rfc3339(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date-time string")
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            "must be an RFC 3339 date-time such as 2026-11-27T16:24:51+02:00"
        ) from None


ExpiryAt = Annotated[
    datetime,
    BeforeValidator(_rfc3339),
    AfterValidator(_future),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def _language(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


LanguageCode = Annotated[SeedLanguage, BeforeValidator(_language)]


def _phone(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("must be a phone number (digits)")
    digits = re.sub(r"[\s().-]", "", str(value))
    digits = digits.removeprefix("+")
    if not re.fullmatch(r"\d{7,15}", digits):
        raise ValueError("must have 7 to 15 digits (international form, e.g. 250788123456)")
    return digits


def _email(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be an e-mail address")
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid e-mail address: {exc}") from None


class CustomerInput(_Seed):
    """Who is told about the invoice (all optional)."""

    email: Annotated[
        str | None,
        BeforeValidator(_email),
        WithJsonSchema({"type": "string", "format": "email", "maxLength": 320}),
    ] = Field(default=None, max_length=320)
    phoneNumber: Annotated[
        str | None,
        BeforeValidator(_phone),
        WithJsonSchema(
            {
                "anyOf": [{"type": "integer"}, {"type": "string"}],
                "description": "An integer (the seed's type) or a string of digits.",
                "examples": [250788123456],
            }
        ),
    ] = None
    name: SeedString | None = Field(default=None, min_length=1, max_length=200)


class PaymentItemInput(_Seed):
    """One product of the invoice."""

    code: SeedString = Field(min_length=1, max_length=100, description="A catalog product code.")
    quantity: StrictInt = Field(gt=0, le=MAX_QUANTITY)
    unitAmount: UnitAmount = Field(
        gt=0, description="Net unit price in the payment account's currency."
    )

    @model_validator(mode="after")
    def _bounded(self) -> PaymentItemInput:
        if self.unitAmount * self.quantity > MAX_LINE:
            raise ValueError(f"unitAmount x quantity must not exceed {MAX_LINE:,}")
        return self


class PaymentInvoiceCreate(_Seed):
    """Seed 004's create-invoice body."""

    transactionId: SeedString = Field(
        min_length=1,
        max_length=100,
        description="The merchant's unique id of this payment request.",
    )
    paymentItems: list[PaymentItemInput] = Field(
        min_length=1, max_length=MAX_ITEMS, description="Products and quantities."
    )

    @field_validator("paymentItems")
    @classmethod
    def _bounded_total(cls, items: list[PaymentItemInput]) -> list[PaymentItemInput]:
        total = sum((item.unitAmount * item.quantity for item in items), Decimal(0))
        if total > MAX_TOTAL:
            raise ValueError(f"the items must not add up to more than {MAX_TOTAL:,}")
        return items

    paymentAccountIdentifier: SeedString = Field(
        min_length=1,
        max_length=100,
        description="Where the money goes; fixes the invoice's currency.",
    )
    expiryAt: ExpiryAt | None = Field(
        default=None,
        description="After this instant the link refuses new payments (RFC 3339, with offset).",
    )
    description: Annotated[StrictStr, AfterValidator(_free_text)] | None = Field(
        default=None, max_length=2000
    )
    customer: CustomerInput | None = Field(
        default=None, description="Who is told about the invoice."
    )
    language: LanguageCode | None = Field(
        default=None, description="FR, EN or RW (any case); EN when left out."
    )
    tenantId: uuid.UUID | None = Field(
        default=None,
        description="Extension: the tenant billed. Required with an operator-wide key; a "
        "tenant's key bills its own tenant (leave it out or send that tenant's id).",
    )


class PaymentItemRead(BaseModel):
    """A product of the invoice as created."""

    code: str
    quantity: int
    unitAmount: PriceString


class CustomerRead(BaseModel):
    """The customer as given (phone number as a string of digits)."""

    email: str | None
    phoneNumber: str | None
    name: str | None


class PaymentInvoiceRead(ReadSchema):
    """Seed 004's invoice, with its current status."""

    invoiceNumber: str
    transactionId: str
    paymentAccountIdentifier: str
    paymentItems: list[PaymentItemRead]
    paymentStatus: SeedPaymentStatus
    amount: MoneyString = Field(
        description="Sum of unit amount x quantity (each line rounded to the currency), "
        "before VAT; totalAmount is what the payer pays."
    )
    currency: str
    type: InvoiceKind
    createdAt: datetime
    updatedAt: datetime | None
    expiryAt: datetime | None
    customer: CustomerRead | None
    description: str | None
    paymentLinkUrl: str
    language: SeedLanguage = Field(description="Extension: the invoice's language.")
    tenantId: uuid.UUID = Field(description="Extension: the tenant billed.")
    invoiceId: uuid.UUID = Field(description="Extension: id in the invoice API.")
    invoiceStatus: InvoiceStatus = Field(description="Extension: the invoice's lifecycle status.")
    taxAmount: MoneyString = Field(description="Extension: VAT.")
    totalAmount: MoneyString = Field(description="Extension: amount plus VAT, what the payer pays.")
    amountPaid: MoneyString = Field(description="Extension: received so far.")
    amountDue: MoneyString = Field(description="Extension: still to pay.")
    expired: bool = Field(description="Extension: expiryAt has passed.")


class PaymentInvoiceResponse(BaseModel):
    """Seed 004's success envelope (``meta`` as on every response of the service)."""

    success: bool = True
    message: str
    data: PaymentInvoiceRead
    meta: Meta = Field(default_factory=Meta)


class SeedErrorItem(BaseModel):
    """One error: the seed's code and a human-readable detail."""

    code: str = Field(examples=["DUPLICATE_TRANSACTION_ID"])
    detail: str


class PaymentInvoiceErrorResponse(BaseModel):
    """Seed 004's error envelope."""

    success: bool = False
    message: str
    errors: list[SeedErrorItem]
    meta: Meta = Field(default_factory=Meta)
