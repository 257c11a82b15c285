"""Refunds of card and SEPA payments through the provider, and the ledger following them.

The ledger records a refund when the provider confirms it:

* a refund the provider answers ``succeeded`` at once (Stripe cards, usually) is recorded in the
  same request;
* a refund it accepts as pending (Mollie always starts ``pending``; Stripe sometimes) is kept on
  the attempt (``gateway_data.pending_refunds``) and the route answers it with status
  ``pending``; it reaches the ledger when a webhook or a fetch shows the payment's refunded
  amount including it (Stripe ``charge.refunded``/``refund.updated``, Mollie's webhook for the
  payment). Mollie counts a refund in ``amountRefunded`` from the moment it accepts it, so for
  Mollie "confirmed" means accepted by Mollie, not yet settled at the bank;
* refunds made outside the API (the provider's dashboard) are found the same way: whatever
  the provider reports refunded beyond what the ledger holds is recorded.

Refunds of one payment are serialised by a transaction-level advisory lock on the payment
(``refund:<payment id>``): the refund route waits for it a few seconds at most (a second refund
still blocked by one at the provider answers 409 ``refund_in_progress``), settlement takes it to
reconcile.
The provider is called holding no row lock; the attempt row is locked only afterwards, to record
what the provider answered.

A refund with ``credit_note: true`` checks its credit notes before the provider is asked (so an
impossible one is refused with nothing refunded), and issues them when the ledger records the
refund: at once for a succeeded refund, on confirmation for a pending one
(``billing.payments.credit_notes.service``).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth.principal import Principal
from billing.core.clock import utcnow
from billing.core.money import format_money, round_money
from billing.core.tenancy import AccessScope
from billing.models.ledger import PaymentTransaction, Refund
from billing.models.payment import Payment
from billing.models.states import RefundStatus as LedgerRefundStatus
from billing.models.states import TransactionStatus
from billing.payments.credit_notes.service import RefundCredit, check_refund_parts
from billing.payments.errors import (
    PaymentNotFound,
    ProviderFailed,
    RefundExceedsRefundable,
    RefundInProgress,
    upstream_error,
)
from billing.payments.ledger import (
    REFUNDED_BY_PROVIDER,
    advisory_lock,
    check_amount,
    try_advisory_lock,
)
from billing.payments.repository import PaymentRepository, TransactionRepository
from billing.payments.schemas import RefundRequest as RefundBody
from billing.payments.service import RecordedRefund
from billing.payments.service import payment as payment_service
from billing.providers.base import (
    Amount,
    PaymentResult,
    ProviderError,
    ProviderKey,
    RefundRequest,
    RefundStatus,
)
from billing.providers.registry import ProviderFactory

PENDING_REFUNDS = "pending_refunds"
# Long enough for a reconciliation or a prompt provider answer, short enough for a request.
REFUND_LOCK_WAIT = 5.0


async def refund(
    session: AsyncSession,
    *,
    scope: AccessScope,
    principal: Principal,
    providers: ProviderFactory,
    payment_id: uuid.UUID,
    body: RefundBody,
) -> RecordedRefund:
    """Refund all or part of a payment: through the provider for Stripe and Mollie payments,
    at once in the ledger for the others (cash, bank, M-Pesa and Pesapal recorded by hand)."""
    payment = await PaymentRepository(session, scope).get(payment_id)
    if payment is None:
        raise PaymentNotFound
    attempt = (
        await TransactionRepository(session, scope).get(payment.transaction_id)
        if payment.transaction_id is not None
        else None
    )
    if attempt is None or attempt.provider not in REFUNDED_BY_PROVIDER:
        return await payment_service.refund(
            session, scope=scope, principal=principal, payment=payment, body=body
        )
    return await _refund_through_provider(
        session,
        scope=scope,
        providers=providers,
        payment=payment,
        attempt=attempt,
        amount=body.amount,
        reason=body.reason,
        recorded_by=principal.key,
        credit_note=body.credit_note,
    )


async def _refund_through_provider(
    session: AsyncSession,
    *,
    scope: AccessScope,
    providers: ProviderFactory,
    payment: Payment,
    attempt: PaymentTransaction,
    amount: Decimal | None,
    reason: str | None,
    recorded_by: str | None,
    credit_note: bool = False,
) -> RecordedRefund:
    """Ask the provider to refund all or part of ``payment``; record it once confirmed.

    Returns the recorded refund, or (still pending at the provider) an unsaved one with status
    ``pending`` carrying the provider's refund id.
    """
    assert attempt.provider is not None
    assert attempt.provider_ref is not None
    # Another refund of this payment may be at the provider: wait a little, never long.
    if not await try_advisory_lock(session, f"refund:{payment.id}", wait=REFUND_LOCK_WAIT):
        raise RefundInProgress
    # Re-read without locking: settlement may have just recorded pending refunds of it.
    await session.refresh(attempt)
    pending = pending_refunds(attempt)
    waiting = sum((Decimal(entry["amount"]) for entry in pending), Decimal(0))
    refunded = await PaymentRepository(session, scope).refunded_total(payment)
    refundable = payment.amount - refunded - waiting
    wanted = amount if amount is not None else refundable
    check_amount(wanted, payment.currency)
    if wanted > refundable:
        raise RefundExceedsRefundable(
            f"At most {format_money(refundable, payment.currency)} of this payment can be "
            "refunded"
            + (
                f" ({format_money(waiting, payment.currency)} is already being refunded)."
                if waiting
                else "."
            )
        )
    credit: RefundCredit | None = None
    if credit_note:
        credit = RefundCredit(
            reason=reason or f"Refund of payment {payment.reference}", created_by=recorded_by
        )
        # Checked without locks: no row is held while the provider is asked.
        preview = await payment_service.refund_preview(
            session, scope=scope, payment=payment, amount=wanted
        )
        await check_refund_parts(session, scope=scope, parts=preview)
    plugin = providers.build(ProviderKey(attempt.provider))
    refund_id = uuid.uuid4()
    try:
        result = await plugin.refund(
            RefundRequest(
                refund_id=str(refund_id),
                payment_ref=attempt.provider_ref,
                amount=Amount(wanted, payment.currency),
                reason=reason,
            )
        )
    except ProviderError as exc:
        raise upstream_error(plugin.display_name, exc, "the refund") from exc
    locked = await TransactionRepository(session, scope).get(attempt.id, for_update=True)
    assert locked is not None
    if result.status is RefundStatus.SUCCEEDED:
        recorded = await payment_service.record_provider_refund(
            session,
            scope=scope,
            payment_id=payment.id,
            amount=wanted,
            reason=reason,
            provider_ref=result.provider_ref,
            recorded_by=recorded_by,
            credit=credit,
        )
        assert recorded is not None
        await _mark_if_refunded(session, scope, locked, payment)
        return recorded
    if result.status is RefundStatus.PENDING:
        entry = {
            "amount": str(wanted),
            "provider_ref": result.provider_ref,
            "reason": reason,
            "recorded_by": recorded_by,
            "requested_at": utcnow().isoformat(),
            "credit_note": credit_note,
        }
        locked.gateway_data = {
            **(locked.gateway_data or {}),
            PENDING_REFUNDS: [*pending_refunds(locked), entry],
        }
        await session.flush()
        # Not added to the session: the ledger gets the row when the provider confirms.
        return RecordedRefund(
            Refund(
                id=refund_id,
                tenant_id=payment.tenant_id,
                payment_id=payment.id,
                amount=wanted,
                currency=payment.currency,
                status=LedgerRefundStatus.PENDING,
                reason=reason,
                provider_ref=result.provider_ref,
                recorded_by=recorded_by,
                created_at=utcnow(),
            )
        )
    raise ProviderFailed(
        f"{plugin.display_name} did not refund ({result.raw_status}); nothing was recorded."
    )


async def reconcile_refunds(
    session: AsyncSession,
    *,
    scope: AccessScope,
    attempt: PaymentTransaction,
    result: PaymentResult,
) -> str | None:
    """Record what the provider reports refunded beyond the ledger; the attempt is locked.

    Pending refunds requested through the API are matched first (oldest first) so their
    reason, provider id and author are kept; any rest was refunded at the provider directly.
    Returns ``"refund_recorded"`` when something was recorded.
    """
    if attempt.payment_id is None or result.refunded_amount is None:
        return None
    if result.refunded_amount.currency.upper() != attempt.currency:
        return None
    repository = PaymentRepository(session, scope)
    payment = await repository.get(attempt.payment_id)
    if payment is None:
        return None
    await advisory_lock(session, f"refund:{payment.id}")
    reported = round_money(result.refunded_amount.value, attempt.currency)
    missing = min(reported, payment.amount) - await repository.refunded_total(payment)
    if missing <= 0:
        return None
    keep: list[dict[str, Any]] = []
    for entry in pending_refunds(attempt):
        value = Decimal(entry["amount"])
        if value > missing:
            keep.append(entry)
            continue
        await payment_service.record_provider_refund(
            session,
            scope=scope,
            payment_id=payment.id,
            amount=value,
            reason=entry.get("reason"),
            provider_ref=entry.get("provider_ref"),
            recorded_by=entry.get("recorded_by"),
            credit=_credit_of(entry, payment),
        )
        missing -= value
    if missing > 0:
        await payment_service.record_provider_refund(
            session,
            scope=scope,
            payment_id=payment.id,
            amount=missing,
            reason=f"Refunded at {attempt.provider}",
            provider_ref=None,
            recorded_by=None,
        )
    attempt.gateway_data = {**(attempt.gateway_data or {}), PENDING_REFUNDS: keep}
    await _mark_if_refunded(session, scope, attempt, payment)
    return "refund_recorded"


def _credit_of(entry: dict[str, Any], payment: Payment) -> RefundCredit | None:
    """The credit notes a pending refund asked for, issued now that it is confirmed."""
    if not entry.get("credit_note"):
        return None
    return RefundCredit(
        reason=entry.get("reason") or f"Refund of payment {payment.reference}",
        created_by=entry.get("recorded_by"),
    )


def pending_refunds(attempt: PaymentTransaction) -> list[dict[str, Any]]:
    """Refunds asked of the provider and not yet in the ledger, oldest first."""
    entries = (attempt.gateway_data or {}).get(PENDING_REFUNDS) or []
    return [entry for entry in entries if isinstance(entry, dict)]


async def _mark_if_refunded(
    session: AsyncSession, scope: AccessScope, attempt: PaymentTransaction, payment: Payment
) -> None:
    refunded = await PaymentRepository(session, scope).refunded_total(payment)
    if refunded >= payment.amount:
        attempt.status = TransactionStatus.REFUNDED
    await session.flush()
