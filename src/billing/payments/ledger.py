"""Ledger writes: every movement of money is a new row, and invoice amounts follow the rows.

* A ``Payment`` is money received (or moved from a wallet), produced by a succeeded
  ``PaymentTransaction``; ``PaymentAllocation`` rows say which invoices it paid.
* A refund is a ``Refund`` row plus negative allocations (and, for money that sat in the
  wallet, a negative wallet entry).
* ``Invoice.amount_paid`` / ``amount_refunded`` are kept equal to the sums of those rows in the
  same transaction; a stateful property test checks it after every step.

Callers hold the invoice row lock (``InvoiceRepository.get(..., for_update=True)``) and, for
wallets, ``lock_wallet``: concurrent payments are serialised and can never overpay an invoice or
overdraw a wallet.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import utcnow
from billing.core.money import round_money
from billing.models.invoice import Invoice
from billing.models.ledger import PaymentTransaction, Refund, WalletEntry
from billing.models.payment import Payment, PaymentAllocation
from billing.payments.errors import (
    AmountExceedsBalance,
    InsufficientWalletBalance,
    InvalidPaymentAmount,
    InvoiceNotPayable,
)
from billing.payments.repository import wallet_balance

PAYABLE_STATUSES = frozenset({"issued", "sent", "paid"})


class Method(StrEnum):
    """Ways money reaches the operator."""

    CASH = "cash"
    BANK = "bank"
    CARD = "card"
    WALLET = "wallet"
    MPESA = "mpesa"
    PESAPAL = "pesapal"
    STRIPE = "stripe"
    MOLLIE = "mollie"
    CASH_ON_DELIVERY = "cash_on_delivery"
    OTHER = "other"


class TransactionStatus(StrEnum):
    """Unified status of a payment attempt."""

    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"


def new_reference(prefix: str) -> str:
    """A short unique reference (``PAY-3F9A12C07B1E``)."""
    return f"{prefix}-{secrets.token_hex(6).upper()}"


def check_amount(amount: Decimal, currency: str) -> None:
    """Positive and on the currency's minor unit."""
    if amount <= 0:
        raise InvalidPaymentAmount("The amount must be greater than 0.")
    if round_money(amount, currency) != amount:
        raise InvalidPaymentAmount(f"The amount has more decimals than {currency} allows.")


def check_payable(invoice: Invoice) -> None:
    """Only issued (sent, overdue) invoices take payments."""
    if invoice.status == "cancelled":
        raise InvoiceNotPayable("A cancelled (void) invoice cannot be paid.")
    if invoice.status not in PAYABLE_STATUSES:
        raise InvoiceNotPayable("Issue the invoice before recording payments.")


def invoice_balance(invoice: Invoice) -> Decimal:
    """What is still due on an invoice."""
    return invoice.total_amount - invoice.amount_paid


@dataclass(frozen=True, slots=True)
class Receipt:
    """What one recorded payment produced."""

    payment: Payment
    transaction: PaymentTransaction
    allocations: tuple[PaymentAllocation, ...]
    wallet_credit: Decimal


async def advisory_lock(session: AsyncSession, key: str) -> None:
    """Hold a transaction-scoped lock on ``key``.

    Ledger tables are append-only for the API role (no UPDATE privilege), so rows cannot be
    locked with ``FOR UPDATE``; an advisory lock serialises writers of one logical record.
    """
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
    )


async def try_advisory_lock(session: AsyncSession, key: str) -> bool:
    """Take the transaction-scoped lock on ``key`` if nobody holds it; never waits."""
    taken = await session.scalar(
        text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
    )
    return bool(taken)


async def lock_wallet(session: AsyncSession, tenant_id: uuid.UUID, currency: str) -> None:
    """Serialise wallet changes of one tenant and currency until the transaction ends."""
    await advisory_lock(session, f"wallet:{tenant_id}:{currency}")


async def record_receipt(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    currency: str,
    amount: Decimal,
    method: str,
    allocations: list[tuple[Invoice, Decimal]],
    wallet_credit: Decimal = Decimal(0),
    external_reference: str | None = None,
    paid_at: datetime | None = None,
    notes: str | None = None,
    recorded_by: str | None = None,
    transaction: PaymentTransaction | None = None,
    gateway_data: dict[str, Any] | None = None,
) -> Receipt:
    """Record money received: one payment, its allocations and any wallet credit.

    ``allocations`` pairs locked invoices with the part of ``amount`` they receive; whatever is
    left must equal ``wallet_credit``. A succeeded transaction is created unless one is given
    (a provider attempt that just succeeded).
    """
    check_amount(amount, currency)
    allocated = sum((part for _, part in allocations), Decimal(0))
    if allocated + wallet_credit != amount:
        raise InvalidPaymentAmount("Allocations and wallet credit must add up to the amount.")
    for invoice, part in allocations:
        check_payable(invoice)
        check_amount(part, currency)
        if part > invoice_balance(invoice):
            raise AmountExceedsBalance(
                f"Amount {part} exceeds the balance {invoice_balance(invoice)} {currency} "
                f"of invoice {invoice.invoice_number}."
            )
    now = utcnow()
    payment = Payment(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        reference=new_reference("PAY"),
        method=method,
        amount=amount,
        currency=currency,
        external_reference=external_reference,
        paid_at=paid_at or now,
        notes=notes,
        recorded_by=recorded_by,
        created_at=now,
    )
    if transaction is None:
        transaction = PaymentTransaction(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            reference=new_reference("TXN"),
            invoice_id=allocations[0][0].id if len(allocations) == 1 else None,
            method=method,
            amount=amount,
            currency=currency,
            status=TransactionStatus.SUCCEEDED.value,
            gateway_data=gateway_data or {},
            created_by=recorded_by,
        )
        session.add(transaction)
    transaction.status = TransactionStatus.SUCCEEDED.value
    transaction.payment_id = payment.id
    transaction.completed_at = now
    payment.transaction_id = transaction.id
    session.add(payment)
    rows = []
    for invoice, part in allocations:
        row = PaymentAllocation(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            payment_id=payment.id,
            invoice_id=invoice.id,
            amount=part,
            created_at=now,
        )
        rows.append(row)
        session.add(row)
        _apply_to_invoice(invoice, part, method, external_reference, payment.paid_at)
    if wallet_credit > 0:
        session.add(
            WalletEntry(
                id=uuid.uuid4(),
                tenant_id=tenant_id,
                currency=currency,
                amount=wallet_credit,
                kind="credit",
                payment_id=payment.id,
                notes=notes,
                created_by=recorded_by,
                created_at=now,
            )
        )
    await session.flush()
    return Receipt(payment, transaction, tuple(rows), wallet_credit)


async def pay_invoice(
    session: AsyncSession,
    *,
    invoice: Invoice,
    amount: Decimal,
    method: str,
    external_reference: str | None = None,
    paid_at: datetime | None = None,
    notes: str | None = None,
    recorded_by: str | None = None,
) -> Receipt:
    """Record ``amount`` received for one locked invoice."""
    return await record_receipt(
        session,
        tenant_id=invoice.tenant_id,
        currency=invoice.currency,
        amount=amount,
        method=method,
        allocations=[(invoice, amount)],
        external_reference=external_reference,
        paid_at=paid_at,
        notes=notes,
        recorded_by=recorded_by,
    )


async def pay_from_wallet(
    session: AsyncSession,
    *,
    invoice: Invoice,
    amount: Decimal,
    recorded_by: str | None,
) -> Receipt:
    """Move ``amount`` from the tenant's wallet onto a locked invoice."""
    await lock_wallet(session, invoice.tenant_id, invoice.currency)
    available = await wallet_balance(session, invoice.tenant_id, invoice.currency)
    if amount > available:
        raise InsufficientWalletBalance(
            f"The wallet holds {available} {invoice.currency}; {amount} was asked."
        )
    receipt = await pay_invoice(
        session,
        invoice=invoice,
        amount=amount,
        method=Method.WALLET.value,
        recorded_by=recorded_by,
    )
    session.add(
        WalletEntry(
            id=uuid.uuid4(),
            tenant_id=invoice.tenant_id,
            currency=invoice.currency,
            amount=-amount,
            kind="invoice_payment",
            payment_id=receipt.payment.id,
            invoice_id=invoice.id,
            created_by=recorded_by,
            created_at=utcnow(),
        )
    )
    await session.flush()
    return receipt


async def credit_wallet(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    currency: str,
    amount: Decimal,
    kind: str,
    notes: str | None = None,
    created_by: str | None = None,
) -> WalletEntry:
    """Credit what the operator owes a tenant to its wallet, without money received (the
    unused part of a subscription period, say); later invoices are paid from it."""
    check_amount(amount, currency)
    await lock_wallet(session, tenant_id, currency)
    entry = WalletEntry(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        currency=currency,
        amount=amount,
        kind=kind,
        notes=notes,
        created_by=created_by,
        created_at=utcnow(),
    )
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class RefundPlan:
    """Where the refunded money comes from."""

    from_invoices: list[tuple[Invoice, Decimal]]
    from_wallet: Decimal


async def record_refund(
    session: AsyncSession,
    *,
    payment: Payment,
    plan: RefundPlan,
    amount: Decimal,
    reason: str | None,
    recorded_by: str | None,
    provider_ref: str | None = None,
    back_to_wallet: bool = False,
) -> Refund:
    """Write a refund: the refund row, negative allocations and a wallet debit if any.

    ``back_to_wallet`` credits the refunded amount to the wallet (a wallet-funded payment).
    """
    now = utcnow()
    refund = Refund(
        id=uuid.uuid4(),
        tenant_id=payment.tenant_id,
        payment_id=payment.id,
        amount=amount,
        currency=payment.currency,
        status="succeeded",
        reason=reason,
        provider_ref=provider_ref,
        recorded_by=recorded_by,
        created_at=now,
    )
    session.add(refund)
    for invoice, part in plan.from_invoices:
        session.add(
            PaymentAllocation(
                id=uuid.uuid4(),
                tenant_id=payment.tenant_id,
                payment_id=payment.id,
                invoice_id=invoice.id,
                amount=-part,
                refund_id=refund.id,
                created_at=now,
            )
        )
        invoice.amount_paid -= part
        invoice.amount_refunded += part
        if invoice.status == "paid" and invoice_balance(invoice) > 0:
            invoice.status = "issued"
            invoice.paid_at = None
    if plan.from_wallet > 0:
        session.add(
            WalletEntry(
                id=uuid.uuid4(),
                tenant_id=payment.tenant_id,
                currency=payment.currency,
                amount=-plan.from_wallet,
                kind="refund",
                payment_id=payment.id,
                refund_id=refund.id,
                created_by=recorded_by,
                created_at=now,
            )
        )
    if back_to_wallet:
        session.add(
            WalletEntry(
                id=uuid.uuid4(),
                tenant_id=payment.tenant_id,
                currency=payment.currency,
                amount=amount,
                kind="refund_credit",
                payment_id=payment.id,
                refund_id=refund.id,
                created_by=recorded_by,
                created_at=now,
            )
        )
    await session.flush()
    return refund


def _apply_to_invoice(
    invoice: Invoice,
    amount: Decimal,
    method: str,
    external_reference: str | None,
    paid_at: datetime,
) -> None:
    invoice.amount_paid += amount
    invoice.payment_method = method
    if external_reference:
        invoice.payment_reference = external_reference
    if invoice.amount_paid >= invoice.total_amount:
        invoice.status = "paid"
        invoice.paid_at = paid_at
