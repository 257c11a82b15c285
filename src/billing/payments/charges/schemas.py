"""Bodies of charging routes."""

from __future__ import annotations

import uuid

from pydantic import Field

from billing.core.schemas import MONEY_DIGITS, MONEY_PLACES, DecimalString, ReadSchema, WriteSchema
from billing.invoices.schemas import InvoiceRead
from billing.payments.checkout.schemas import AttemptRead
from billing.payments.methods.schemas import NextActionRead


class ChargeRequest(WriteSchema):
    """Charge an invoice to a saved method."""

    payment_method_id: uuid.UUID | None = Field(
        default=None, description="Default: the tenant's default method."
    )
    amount: DecimalString | None = Field(
        default=None,
        gt=0,
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        description="Default: the invoice's balance.",
    )


class ChargeRead(ReadSchema):
    """A charge the provider accepted: succeeded, or processing (SEPA) until it confirms."""

    attempt: AttemptRead
    payment_method_id: uuid.UUID
    invoice: InvoiceRead
    next_action: NextActionRead | None
