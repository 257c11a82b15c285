"""Bodies of checkout routes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field, model_validator

from billing.core.schemas import (
    MONEY_DIGITS,
    MONEY_PLACES,
    CurrencyCode,
    DecimalString,
    MoneyString,
    ReadSchema,
    WriteSchema,
)


class CheckoutMethod(ReadSchema):
    """A way to pay at checkout."""

    method: str
    name: str
    provider: str | None


class PayableInvoice(ReadSchema):
    """What a payer needs in order to pay, and nothing more: no internal id, no amounts beyond
    what is due, the buyer's name masked (invoice numbers are sequential, so anyone can ask)."""

    invoice_number: str
    status: str
    customer_name: str | None = Field(description="Masked: 'J*** D**'.")
    currency: str
    amount_due: MoneyString
    due_date: date | None


class PayPayload(PayableInvoice):
    """The invoice with the methods available to pay it."""

    methods: list[CheckoutMethod]


class InvoiceCapability(WriteSchema):
    """Which invoice to pay: its number, or the public id of its page (exactly one)."""

    invoice_number: str | None = Field(default=None, min_length=1, max_length=64)
    public_id: str | None = Field(default=None, min_length=1, max_length=32)

    @model_validator(mode="after")
    def _exactly_one(self) -> InvoiceCapability:
        if (self.invoice_number is None) == (self.public_id is None):
            raise ValueError("give exactly one of invoice_number and public_id")
        return self


class MpesaInitiate(InvoiceCapability):
    """Start an M-Pesa STK push."""

    phone_number: str = Field(min_length=1, max_length=20, examples=["0712345678"])
    amount: DecimalString | None = Field(
        default=None,
        gt=0,
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        description="Whole KES; default: the amount due.",
    )


class PesapalInitiate(InvoiceCapability):
    """Start a Pesapal hosted payment."""

    amount: DecimalString | None = Field(
        default=None,
        gt=0,
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        description="Default: amount due.",
    )
    currency: CurrencyCode | None = Field(default=None, description="Must be the invoice's.")
    email: str | None = Field(default=None, max_length=320)
    phone_number: str | None = Field(default=None, max_length=20)


class AttemptRead(ReadSchema):
    """A provider payment attempt as the payer may see it."""

    reference: str
    provider: str | None
    provider_ref: str | None
    status: str
    amount: MoneyString
    currency: str
    failure_code: str | None
    failure_message: str | None
    updated_at: datetime


class MpesaInitiated(AttemptRead):
    """An STK push on its way to the phone."""

    checkout_request_id: str
    customer_message: str | None


class PesapalInitiated(AttemptRead):
    """A Pesapal order: send the payer's browser to ``redirect_url``."""

    order_tracking_id: str
    redirect_url: str
