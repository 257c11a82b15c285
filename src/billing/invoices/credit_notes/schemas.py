"""Request and response bodies of credit notes."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field, model_validator

from billing.core.schemas import (
    DecimalString,
    MoneyString,
    PriceString,
    QuantityString,
    RateString,
    ReadSchema,
    WriteSchema,
)
from billing.core.totals import VatCategory
from billing.invoices.schemas import (
    CreditNoteKind,
    CreditNoteSettlement,
    LenientDate,
    Reason,
    TaxBreakdownRead,
)


class CreditLineInput(WriteSchema):
    """Credit a quantity of one invoice line."""

    invoice_item_id: uuid.UUID = Field(description="The invoice line (``items[].id``).")
    quantity: QuantityString = Field(gt=0, max_digits=20, decimal_places=6)


class CreditAmountInput(WriteSchema):
    """Credit a net amount of one VAT group of the invoice (VAT is added on top)."""

    tax_category: VatCategory
    tax_rate: RateString = Field(ge=0, le=100, max_digits=7, decimal_places=4)
    amount: DecimalString = Field(
        gt=0,
        max_digits=18,
        decimal_places=4,
        description="Net (taxable) amount to credit in this VAT group (BT-116).",
    )


class CreditNoteCreate(WriteSchema):
    """A credit note of an issued invoice.

    Send ``lines`` to credit quantities of the invoice's lines, or ``amounts`` to credit net
    amounts per VAT group; send neither to credit everything that remains. ``settlement``
    says what happens to the credited money.
    """

    reason: Reason = Field(description="Why the invoice is credited; printed on the document.")
    lines: list[CreditLineInput] | None = Field(default=None, min_length=1, max_length=5000)
    amounts: list[CreditAmountInput] | None = Field(default=None, min_length=1, max_length=100)
    settlement: CreditNoteSettlement = CreditNoteSettlement.REDUCE_BALANCE
    issue_date: LenientDate | None = Field(
        default=None,
        description="Default: today in the operator's time zone; never before the invoice's.",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> CreditNoteCreate:
        if self.lines is not None and self.amounts is not None:
            raise ValueError("send either lines or amounts, not both")
        if self.lines is not None:
            ids = [line.invoice_item_id for line in self.lines]
            if len(set(ids)) != len(ids):
                raise ValueError("each invoice line may appear once in lines")
        if self.amounts is not None:
            groups = [(a.tax_category, a.tax_rate.normalize()) for a in self.amounts]
            if len(set(groups)) != len(groups):
                raise ValueError("each VAT group (category and rate) may appear once in amounts")
        return self

    @property
    def kind(self) -> CreditNoteKind:
        """Full, by lines, or by amounts."""
        if self.lines is not None:
            return CreditNoteKind.LINES
        if self.amounts is not None:
            return CreditNoteKind.AMOUNTS
        return CreditNoteKind.FULL


class CreditNoteLineRead(ReadSchema):
    """A credited line."""

    id: uuid.UUID
    position: int
    invoice_item_id: uuid.UUID | None = Field(
        description="The invoice line it credits; null for an amount on a VAT group."
    )
    sku: str | None
    name: str
    description: str | None
    quantity: QuantityString
    unit_code: str
    unit_price: PriceString
    tax_rate: RateString
    tax_category: str
    tax_exemption_reason_code: str | None
    tax_exemption_reason: str | None
    line_total: DecimalString


class CreditNoteRead(ReadSchema):
    """A credit note (type 381): what it credits and what happened to the money."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_number: str = Field(description="The credited invoice (BT-25).")
    invoice_issue_date: date = Field(description="Its issue date (BT-26).")
    credit_note_number: str
    type_code: str = Field(default="381", description="UNTDID 1001 document type (BT-3).")
    kind: CreditNoteKind
    reason: str
    currency: str
    issue_date: date
    subtotal: MoneyString
    discount_amount: MoneyString
    tax_amount: MoneyString
    total_amount: MoneyString
    settlement: CreditNoteSettlement
    balance_reduction: MoneyString = Field(description="What the invoice no longer asks for.")
    refunded_amount: MoneyString = Field(description="Paid money given back to the payer.")
    wallet_amount: MoneyString = Field(description="Paid money moved to the tenant's wallet.")
    items: list[CreditNoteLineRead]
    tax_breakdown: list[TaxBreakdownRead]
    customer_name: str | None
    created_by: str | None
    created_at: datetime
