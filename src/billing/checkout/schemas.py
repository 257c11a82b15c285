"""Bodies of checkout routes."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from billing.core.schemas import CurrencyCode, DecimalString, MoneyString, ReadSchema, WriteSchema


class CheckoutMethod(ReadSchema):
    """A way to pay at checkout."""

    method: str
    name: str
    provider: str | None


class PayableInvoice(ReadSchema):
    """What a payer needs to see: no personal data beyond the buyer's name."""

    id: uuid.UUID
    invoice_number: str
    status: str
    customer_name: str | None
    currency: str
    total_amount: MoneyString
    amount_paid: MoneyString
    amount_due: MoneyString
    issue_date: date
    due_date: date | None


class PayPayload(PayableInvoice):
    """The invoice with the methods available to pay it."""

    methods: list[CheckoutMethod]


class MpesaInitiate(WriteSchema):
    """Start an M-Pesa STK push."""

    invoice_id: uuid.UUID
    phone_number: str = Field(min_length=1, max_length=20, examples=["0712345678"])
    amount: DecimalString | None = Field(
        default=None, gt=0, description="Whole KES; default: the amount due."
    )


class PesapalInitiate(WriteSchema):
    """Start a Pesapal hosted payment."""

    invoice_id: uuid.UUID
    amount: DecimalString | None = Field(default=None, gt=0, description="Default: amount due.")
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
    invoice_id: uuid.UUID | None
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
