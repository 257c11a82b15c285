"""Ledger writes. Every movement is a new row; invoice amounts are kept equal to their sums.

Callers hold the invoice row lock (``InvoiceRepository.get(..., for_update=True)``), so two
payments on one invoice are serialised and can never overpay it.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import utcnow
from billing.core.errors import BadRequest
from billing.core.money import round_money
from billing.models.invoice import Invoice
from billing.models.payment import Payment, PaymentAllocation


class AmountExceedsBalance(BadRequest):
    """A payment larger than what is due."""

    code = "amount_exceeds_balance"


class InvalidPaymentAmount(BadRequest):
    """Zero, negative, or finer than the currency's minor unit."""

    code = "invalid_payment_amount"


def new_reference(prefix: str = "PAY") -> str:
    """A short unique payment reference."""
    return f"{prefix}-{secrets.token_hex(6).upper()}"


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
) -> Payment:
    """Record ``amount`` received for ``invoice`` (locked by the caller) and allocate it."""
    if amount <= 0:
        raise InvalidPaymentAmount("The amount must be greater than 0.")
    if round_money(amount, invoice.currency) != amount:
        raise InvalidPaymentAmount(f"The amount has more decimals than {invoice.currency} allows.")
    due = invoice.total_amount - invoice.amount_paid
    if amount > due:
        raise AmountExceedsBalance(f"Amount {amount} exceeds the balance {due} {invoice.currency}.")
    now = utcnow()
    payment = Payment(
        id=uuid.uuid4(),
        tenant_id=invoice.tenant_id,
        reference=new_reference(),
        method=method,
        amount=amount,
        currency=invoice.currency,
        external_reference=external_reference,
        paid_at=paid_at or now,
        notes=notes,
        recorded_by=recorded_by,
        created_at=now,
    )
    session.add(payment)
    session.add(
        PaymentAllocation(
            id=uuid.uuid4(),
            tenant_id=invoice.tenant_id,
            payment_id=payment.id,
            invoice_id=invoice.id,
            amount=amount,
            created_at=now,
        )
    )
    invoice.amount_paid += amount
    invoice.payment_method = method
    if external_reference:
        invoice.payment_reference = external_reference
    if invoice.amount_paid >= invoice.total_amount:
        invoice.status = "paid"
        invoice.paid_at = payment.paid_at
    await session.flush()
    return payment
