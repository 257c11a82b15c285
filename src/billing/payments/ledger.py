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

import asyncio
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import utcnow
from billing.core.money import format_money, round_money
from billing.invoices.events import emit_invoice
from billing.invoices.presenter import balance
from billing.models.invoice import Invoice
from billing.models.ledger import PaymentTransaction, Refund, WalletEntry
from billing.models.payment import Payment, PaymentAllocation
from billing.models.states import (
    EventType,
    InvoiceStatus,
    Method,
    RefundStatus,
    TransactionStatus,
    WalletEntryKind,
)
from billing.payments.errors import (
    AmountExceedsBalance,
    InsufficientWalletBalance,
    InvalidPaymentAmount,
    InvoiceNotPayable,
)
from billing.payments.events import emit_payment, emit_refund
from billing.payments.repository import LedgerRepository, wallet_balance

PAYABLE_STATUSES = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.SENT, InvoiceStatus.PAID})

REFUNDED_BY_PROVIDER = frozenset({Method.STRIPE, Method.MOLLIE})
"""Providers whose payments are refunded by asking the provider (not by a ledger row alone)."""


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
    if invoice.status is InvoiceStatus.CANCELLED:
        raise InvoiceNotPayable("A cancelled (void) invoice cannot be paid.")
    if invoice.status not in PAYABLE_STATUSES:
        raise InvoiceNotPayable("Issue the invoice before recording payments.")


def invoice_balance(invoice: Invoice) -> Decimal:
    """What is still due on an invoice (its total less its credit notes and payments)."""
    return balance(invoice)


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


async def try_advisory_lock(
    session: AsyncSession, key: str, *, wait: float = 0.0, poll: float = 0.05
) -> bool:
    """Take the transaction-scoped lock on ``key``, waiting at most ``wait`` seconds for its
    holder; False when it is still held. (Polled rather than blocking with a lock timeout,
    which would abort the whole transaction when it fires.)"""
    deadline = time.monotonic() + wait
    while True:
        taken = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )
        if taken or time.monotonic() >= deadline:
            return bool(taken)
        await asyncio.sleep(poll)


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
                f"Amount {format_money(part, currency)} exceeds the balance "
                f"{format_money(invoice_balance(invoice), currency)} "
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
            status=TransactionStatus.SUCCEEDED,
            gateway_data=gateway_data or {},
            created_by=recorded_by,
        )
        LedgerRepository(session).append(transaction)
    transaction.status = TransactionStatus.SUCCEEDED
    transaction.payment_id = payment.id
    transaction.completed_at = now
    payment.transaction_id = transaction.id
    LedgerRepository(session).append(payment)
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
        LedgerRepository(session).append(row)
        _apply_to_invoice(invoice, part, method, external_reference, payment.paid_at)
    if wallet_credit > 0:
        LedgerRepository(session).append(
            WalletEntry(
                id=uuid.uuid4(),
                tenant_id=tenant_id,
                currency=currency,
                amount=wallet_credit,
                kind=WalletEntryKind.CREDIT,
                payment_id=payment.id,
                notes=notes,
                created_by=recorded_by,
                created_at=now,
            )
        )
    await session.flush()
    await emit_payment(session, EventType.PAYMENT_SUCCEEDED, payment)
    for invoice, _ in allocations:
        if invoice.status is InvoiceStatus.PAID:
            await emit_invoice(session, EventType.INVOICE_PAID, invoice)
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
            f"The wallet holds {format_money(available, invoice.currency)}; "
            f"{format_money(amount, invoice.currency)} was asked."
        )
    receipt = await pay_invoice(
        session,
        invoice=invoice,
        amount=amount,
        method=Method.WALLET,
        recorded_by=recorded_by,
    )
    LedgerRepository(session).append(
        WalletEntry(
            id=uuid.uuid4(),
            tenant_id=invoice.tenant_id,
            currency=invoice.currency,
            amount=-amount,
            kind=WalletEntryKind.INVOICE_PAYMENT,
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
    kind: WalletEntryKind,
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
    LedgerRepository(session).append(entry)
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
    credit_notes: Mapping[uuid.UUID, uuid.UUID] | None = None,
) -> Refund:
    """Write a refund: the refund row, negative allocations and a wallet debit if any.

    ``back_to_wallet`` credits the refunded amount to the wallet (a wallet-funded payment).
    ``credit_notes`` maps invoice ids to the credit notes issued for their part; each
    negative allocation names its credit note, and the refund row names it when there is one.
    """
    credit_notes = credit_notes or {}
    now = utcnow()
    refund = Refund(
        id=uuid.uuid4(),
        tenant_id=payment.tenant_id,
        payment_id=payment.id,
        amount=amount,
        currency=payment.currency,
        status=RefundStatus.SUCCEEDED,
        reason=reason,
        provider_ref=provider_ref,
        recorded_by=recorded_by,
        credit_note_id=next(iter(credit_notes.values())) if len(credit_notes) == 1 else None,
        created_at=now,
    )
    LedgerRepository(session).append(refund)
    for invoice, part in plan.from_invoices:
        LedgerRepository(session).append(
            PaymentAllocation(
                id=uuid.uuid4(),
                tenant_id=payment.tenant_id,
                payment_id=payment.id,
                invoice_id=invoice.id,
                amount=-part,
                refund_id=refund.id,
                credit_note_id=credit_notes.get(invoice.id),
                created_at=now,
            )
        )
        invoice.amount_paid -= part
        invoice.amount_refunded += part
        if invoice.status is InvoiceStatus.PAID and invoice_balance(invoice) > 0:
            invoice.status = InvoiceStatus.ISSUED
            invoice.paid_at = None
    if plan.from_wallet > 0:
        LedgerRepository(session).append(
            WalletEntry(
                id=uuid.uuid4(),
                tenant_id=payment.tenant_id,
                currency=payment.currency,
                amount=-plan.from_wallet,
                kind=WalletEntryKind.REFUND,
                payment_id=payment.id,
                refund_id=refund.id,
                created_by=recorded_by,
                created_at=now,
            )
        )
    if back_to_wallet:
        LedgerRepository(session).append(
            WalletEntry(
                id=uuid.uuid4(),
                tenant_id=payment.tenant_id,
                currency=payment.currency,
                amount=amount,
                kind=WalletEntryKind.REFUND_CREDIT,
                payment_id=payment.id,
                refund_id=refund.id,
                created_by=recorded_by,
                created_at=now,
            )
        )
    await session.flush()
    await emit_refund(session, refund)
    return refund


async def move_to_wallet(
    session: AsyncSession,
    *,
    invoice: Invoice,
    payment: Payment,
    amount: Decimal,
    credit_note_id: uuid.UUID,
    recorded_by: str | None,
) -> None:
    """Take ``amount`` of ``payment`` back from a locked invoice into the tenant's wallet.

    A negative allocation and a wallet credit, both naming the credit note that asked for it;
    no money leaves, so no refund row is written. The wallet credit counts as the payment's
    (``wallet_credit_of``), so refunding the payment later can still take it back.
    """
    await lock_wallet(session, invoice.tenant_id, invoice.currency)
    now = utcnow()
    ledger = LedgerRepository(session)
    ledger.append(
        PaymentAllocation(
            id=uuid.uuid4(),
            tenant_id=invoice.tenant_id,
            payment_id=payment.id,
            invoice_id=invoice.id,
            amount=-amount,
            credit_note_id=credit_note_id,
            created_at=now,
        )
    )
    ledger.append(
        WalletEntry(
            id=uuid.uuid4(),
            tenant_id=invoice.tenant_id,
            currency=invoice.currency,
            amount=amount,
            kind=WalletEntryKind.CREDIT_NOTE,
            payment_id=payment.id,
            invoice_id=invoice.id,
            credit_note_id=credit_note_id,
            created_by=recorded_by,
            created_at=now,
        )
    )
    invoice.amount_paid -= amount
    invoice.amount_refunded += amount
    await session.flush()


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
    if invoice_balance(invoice) <= 0:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = paid_at
