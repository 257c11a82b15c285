"""Request and response bodies of the payments domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, StrictBool

from billing.core.schemas import (
    MONEY_DIGITS,
    MONEY_PLACES,
    CurrencyCode,
    DecimalString,
    IsoDateTime,
    MoneyString,
    ReadSchema,
    WriteSchema,
    required_in_schema,
)
from billing.invoices.schemas import CashTransactionRead, InvoiceRead, printable_text

MANUAL_METHODS = ("cash", "bank", "card", "wallet", "mpesa", "other")


class PaymentCreate(WriteSchema):
    """A payment received for one invoice (partial payments allowed)."""

    amount: DecimalString = Field(gt=0, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    method: str = Field(default="cash", description="cash, bank, card, wallet, mpesa or other")
    reference: str | None = Field(default=None, max_length=200, description="Cheque #, txn id.")
    paid_at: IsoDateTime | None = None
    notes: str | None = Field(default=None, max_length=2000)


class PaymentRead(ReadSchema):
    """A payment; ``allocated_amount`` is what it left on the invoice in question."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    reference: str
    method: str
    amount: MoneyString
    currency: str
    external_reference: str | None
    paid_at: datetime
    notes: str | None
    recorded_by: str | None
    transaction_id: uuid.UUID | None
    allocated_amount: MoneyString | None = None
    created_at: datetime


class TransactionRead(ReadSchema):
    """A payment attempt with its gateway data (never secrets)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    reference: str
    invoice_id: uuid.UUID | None
    method: str
    provider: str | None
    provider_ref: str | None
    amount: MoneyString
    currency: str
    status: str
    failure_code: str | None
    failure_message: str | None
    gateway_data: dict[str, Any]
    payment_id: uuid.UUID | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class PaymentRecorded(ReadSchema):
    """The invoice after a payment, the payment and the transaction behind it."""

    invoice: InvoiceRead
    payment: PaymentRead
    transaction: TransactionRead


class CashPayRequest(WriteSchema):
    """Pay an invoice at the counter (seed 001)."""

    # Required: a missing method is seed 001's 400 "Payment method is required".
    model_config = ConfigDict(json_schema_extra=required_in_schema("payment_method"))

    payment_method: str | None = Field(default=None, max_length=30)
    amount_given: DecimalString | None = Field(
        default=None, gt=0, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES
    )


class CashPaid(ReadSchema):
    """Seed 001's answer to a cash payment."""

    message: str
    invoice: InvoiceRead
    cash_transaction: CashTransactionRead


class QuickPayRequest(WriteSchema):
    """One amount spread over a tenant's open invoices, oldest due first."""

    amount: DecimalString = Field(gt=0, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    currency: CurrencyCode | None = Field(
        default=None, description="Defaults to the tenant's default currency."
    )
    method: str = Field(default="cash", max_length=30)
    reference: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)


class AppliedAmount(ReadSchema):
    """The part of a quick-pay that went to one invoice."""

    invoice_id: uuid.UUID
    invoice_number: str | None
    currency: str
    amount: MoneyString
    balance_after: MoneyString


class QuickPayResult(ReadSchema):
    """Where a quick-pay went."""

    payment: PaymentRead
    currency: str
    applied: list[AppliedAmount]
    wallet_credit: MoneyString
    remaining: MoneyString = Field(
        description="The part not applied to invoices (= wallet credit)."
    )
    open_balance: MoneyString = Field(description="What the tenant still owes in this currency.")


class ApplyWalletRequest(WriteSchema):
    """Pay an invoice from the tenant's wallet."""

    amount: DecimalString | None = Field(
        default=None,
        gt=0,
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        description="Default: as much as both allow.",
    )


class WalletEntryRead(ReadSchema):
    """One wallet movement."""

    id: uuid.UUID
    currency: str
    amount: MoneyString
    kind: str
    payment_id: uuid.UUID | None
    invoice_id: uuid.UUID | None
    refund_id: uuid.UUID | None
    notes: str | None
    created_at: datetime


class WalletBalance(ReadSchema):
    """Balance in one currency."""

    currency: str
    balance: MoneyString


class WalletRead(ReadSchema):
    """A tenant's wallet: balances per currency and the latest entries."""

    tenant_id: uuid.UUID
    balances: list[WalletBalance]
    entries: list[WalletEntryRead]


class RefundRequest(WriteSchema):
    """Give back all or part of a payment, optionally with credit notes."""

    amount: DecimalString | None = Field(
        default=None,
        gt=0,
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        description="Default: everything refundable.",
    )
    reason: Annotated[str, AfterValidator(printable_text)] | None = Field(
        default=None, max_length=500
    )
    credit_note: StrictBool = Field(
        default=False,
        description="Issue, for each invoice the refund takes money from, a credit note of "
        "exactly that amount (settlement 'refund', or 'wallet' for a wallet-funded payment). "
        "For a provider refund still pending, the credit note is issued when the provider "
        "confirms the refund.",
    )


class RefundRead(ReadSchema):
    """A refund."""

    id: uuid.UUID
    payment_id: uuid.UUID
    amount: MoneyString
    currency: str
    status: str
    reason: str | None
    provider_ref: str | None
    recorded_by: str | None
    created_at: datetime
    credit_note_ids: list[uuid.UUID] = Field(
        default_factory=list, description="Credit notes issued with this refund."
    )


class ConsolidateRequest(WriteSchema):
    """Merge a tenant's open unpaid invoices of one currency into one."""

    currency: CurrencyCode | None = None
    notes: str | None = Field(default=None, max_length=5000)


class ConsolidationResult(ReadSchema):
    """The new invoice and the ones it replaced."""

    consolidated_invoice: InvoiceRead
    voided_invoice_ids: list[uuid.UUID]


class PublicPaymentStatus(ReadSchema):
    """The unified status of a payment attempt, without personal data."""

    reference: str
    status: str
    method: str
    amount: MoneyString
    currency: str
    updated_at: datetime
