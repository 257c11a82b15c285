"""Applying a provider's word about a payment attempt, exactly once and monotonically.

Every change happens under the attempt's row lock:

* a success already recorded is never overwritten (not by a later failure, query or replay);
* a success reported after a failure or expiry is still recorded: the money moved;
* a success whose amount or currency differs from the attempt changes nothing;
* the money goes to the invoice up to its balance, and any rest (or everything, if the invoice
  was cancelled meanwhile) to the tenant's wallet, so nothing received is lost.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.money import round_money
from billing.core.tenancy import AccessScope
from billing.invoices.service import invoice as invoice_service
from billing.models.ledger import PaymentTransaction
from billing.payments.ledger import (
    PAYABLE_STATUSES,
    TransactionStatus,
    invoice_balance,
    lock_wallet,
    record_receipt,
)
from billing.payments.service import payment as payment_service
from billing.providers.base import PaymentResult, PaymentStatus

SETTLED = frozenset({TransactionStatus.SUCCEEDED.value, TransactionStatus.REFUNDED.value})
OPEN = frozenset({TransactionStatus.PENDING.value, TransactionStatus.PROCESSING.value})


async def apply_result(
    session: AsyncSession,
    *,
    scope: AccessScope,
    attempt: PaymentTransaction,
    result: PaymentResult,
    gateway_data: dict[str, Any] | None = None,
) -> str:
    """Move a locked attempt to what the provider reports; returns a short outcome."""
    data = dict(attempt.gateway_data or {})
    data.update(gateway_data or {})
    data["last_status"] = result.raw_status
    attempt.gateway_data = data
    if attempt.status == TransactionStatus.SUCCEEDED.value and (
        result.status is PaymentStatus.REFUNDED
    ):
        return await _record_reversal(session, scope, attempt)
    if attempt.status in SETTLED:
        return "already_settled"
    if result.status is PaymentStatus.SUCCEEDED:
        if result.amount is not None and (
            result.amount.currency.upper() != attempt.currency
            or round_money(result.amount.value, attempt.currency) != attempt.amount
        ):
            attempt.gateway_data = {**data, "rejected_amount": str(result.amount.value)}
            return "amount_mismatch"
        await _record(session, scope, attempt, result)
        return "succeeded"
    if attempt.status not in OPEN:
        return "already_final"
    if result.status is PaymentStatus.PROCESSING:
        attempt.status = TransactionStatus.PROCESSING.value
        return "processing"
    if result.status is PaymentStatus.PENDING:
        return "pending"
    final = {
        PaymentStatus.FAILED: TransactionStatus.FAILED,
        PaymentStatus.CANCELLED: TransactionStatus.CANCELLED,
        PaymentStatus.EXPIRED: TransactionStatus.EXPIRED,
        PaymentStatus.REFUNDED: TransactionStatus.FAILED,
    }[result.status]
    attempt.status = final.value
    attempt.failure_code = result.failure_code or result.raw_status
    attempt.failure_message = result.failure_message
    return final.value


async def _record(
    session: AsyncSession, scope: AccessScope, attempt: PaymentTransaction, result: PaymentResult
) -> None:
    allocations = []
    wallet_credit = attempt.amount
    if attempt.invoice_id is not None:
        invoice = await invoice_service.get(
            session, scope=scope, invoice_id=attempt.invoice_id, for_update=True
        )
        if invoice.status in PAYABLE_STATUSES and invoice_balance(invoice) > 0:
            part = min(attempt.amount, invoice_balance(invoice))
            allocations.append((invoice, part))
            wallet_credit = attempt.amount - part
    if wallet_credit > Decimal(0):
        await lock_wallet(session, attempt.tenant_id, attempt.currency)
    await record_receipt(
        session,
        tenant_id=attempt.tenant_id,
        currency=attempt.currency,
        amount=attempt.amount,
        method=attempt.method,
        allocations=allocations,
        wallet_credit=wallet_credit,
        external_reference=result.provider_receipt or attempt.provider_ref,
        paid_at=result.paid_at,
        transaction=attempt,
        notes=f"{attempt.provider} {attempt.provider_ref}",
    )


async def _record_reversal(
    session: AsyncSession, scope: AccessScope, attempt: PaymentTransaction
) -> str:
    """The provider reversed a payment we had recorded: refund it in the ledger."""
    if attempt.payment_id is not None:
        await payment_service.reverse_in_full(
            session,
            scope=scope,
            payment_id=attempt.payment_id,
            reason=f"Reversed by {attempt.provider}",
            provider_ref=attempt.provider_ref,
        )
    attempt.status = TransactionStatus.REFUNDED.value
    return "refunded"
