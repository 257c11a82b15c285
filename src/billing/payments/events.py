"""Payment events for the operator's webhook endpoints, with the payment, refund or attempt
as the API shows it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.models.ledger import PaymentTransaction, Refund
from billing.models.payment import Payment
from billing.models.states import EventType
from billing.outbox import events
from billing.payments.schemas import PaymentRead, RefundRead, TransactionRead


async def emit_payment(session: AsyncSession, event_type: EventType, payment: Payment) -> None:
    """Queue ``event_type`` about a recorded payment."""

    async def read() -> PaymentRead:
        return PaymentRead.model_validate(payment)

    await events.emit(
        session,
        event_type,
        tenant_id=payment.tenant_id,
        object_type="payment",
        object_id=payment.id,
        payload=read,
    )


async def emit_refund(session: AsyncSession, refund: Refund) -> None:
    """Queue ``payment.refunded`` about a refund (the object is the refunded payment, so the
    payment's events keep one sequence)."""

    async def read() -> RefundRead:
        return RefundRead.model_validate(refund)

    await events.emit(
        session,
        EventType.PAYMENT_REFUNDED,
        tenant_id=refund.tenant_id,
        object_type="payment",
        object_id=refund.payment_id,
        payload=read,
    )


async def emit_failed_attempt(session: AsyncSession, attempt: PaymentTransaction) -> None:
    """Queue ``payment.failed`` about a provider attempt that failed."""

    async def read() -> TransactionRead:
        return TransactionRead.model_validate(attempt)

    await events.emit(
        session,
        EventType.PAYMENT_FAILED,
        tenant_id=attempt.tenant_id,
        object_type="payment_attempt",
        object_id=attempt.id,
        payload=read,
    )
