"""The billing overview's answer."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from billing.core.schemas import MoneyString
from billing.invoices.schemas import PaymentStatus
from billing.models.states import InvoiceStatus
from billing.payments.methods.schemas import PaymentMethodRead


class CurrencyBalance(BaseModel):
    """What the tenant owes in one currency."""

    currency: str
    balance_due: MoneyString = Field(description="Sum of the open invoices' balances.")
    open_count: int = Field(description="Issued or sent invoices with a balance.")
    overdue_amount: MoneyString = Field(description="The part of balance_due past its due date.")
    overdue_count: int


class WalletCredit(BaseModel):
    """The tenant's wallet in one currency."""

    currency: str
    amount: MoneyString


class NextInvoice(BaseModel):
    """The soonest invoice the tenant's subscriptions will produce, estimated now."""

    subscription_id: uuid.UUID
    issue_date: date
    currency: str
    total_amount: MoneyString
    amount_due: MoneyString = Field(description="What remains after the wallet pays its part.")


class SubscriptionSummary(BaseModel):
    """A subscription that still renews."""

    id: uuid.UUID
    status: str
    currency: str
    current_period_start: date
    current_period_end: date
    cancel_at_period_end: bool


class RecentInvoice(BaseModel):
    """An invoice, without its lines."""

    id: uuid.UUID
    invoice_number: str | None
    status: InvoiceStatus
    payment_status: PaymentStatus
    currency: str
    total_amount: MoneyString
    balance: MoneyString
    issue_date: date
    due_date: date | None


class RecentPayment(BaseModel):
    """Money received from the tenant."""

    id: uuid.UUID
    reference: str
    method: str
    amount: MoneyString
    currency: str
    paid_at: datetime


class BillingOverview(BaseModel):
    """Seed 002's billing summary of the authenticated tenant; amounts per currency."""

    tenant_id: uuid.UUID
    as_of: date = Field(description="Today in the operator's time zone (what is overdue).")
    balances: list[CurrencyBalance] = Field(description="One entry per currency with a balance.")
    wallet: list[WalletCredit] = Field(description="Wallet credit per currency (non-zero).")
    next_invoice: NextInvoice | None
    active_subscriptions: list[SubscriptionSummary] = Field(
        description="Trialing, active or past-due subscriptions, soonest renewal first."
    )
    default_payment_method: PaymentMethodRead | None
    recent_invoices: list[RecentInvoice] = Field(
        description="The last issued invoices (drafts left out), newest first."
    )
    recent_payments: list[RecentPayment] = Field(description="The last payments, newest first.")
