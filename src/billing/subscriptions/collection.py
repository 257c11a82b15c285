"""Collecting subscription invoices: automatic charges, retries (dunning) and their outcome.

One step of ``collect`` looks at one subscription invoice and does what is due:

* the invoice got paid (by the charge, the tenant, the wallet) or cancelled: record it, and a
  ``past_due`` subscription with nothing else open is ``active`` again;
* ``send_invoice`` past its due date: the subscription is ``past_due`` until it is paid;
* a scheduled charge is due: charge the tenant's default saved method through
  ``payments.charges``. Attempt ``n`` of an invoice always has the id
  ``uuid5(invoice, n)``, and the provider's idempotency key comes from it: a worker that dies
  after the provider charged and before our commit is replayed by the provider, never charged
  twice. A failure moves the subscription to ``past_due`` and schedules the next retry
  (``dunning_retry_days`` after the first failure); after the last one the configured final
  action applies (cancel, pause, or leave it unpaid).

The step holds the invoice's ``charge:<invoice>`` advisory lock (not waiting: a second worker
skips the invoice), reads after taking it, and locks no row while the provider is asked.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import utcnow
from billing.core.errors import BillingError
from billing.core.tenancy import AccessScope
from billing.invoices.presenter import balance
from billing.invoices.repository import InvoiceRepository
from billing.models.invoice import Invoice
from billing.models.states import TransactionStatus
from billing.models.subscription import (
    CollectionState,
    Subscription,
    SubscriptionInvoice,
    SubscriptionInvoiceKind,
    SubscriptionStatus,
)
from billing.payments.callback_urls import CallbackUrls
from billing.payments.charges.service import charge as charge_service
from billing.payments.errors import InvoiceAlreadyPaid, PaymentInProgress
from billing.payments.ledger import try_advisory_lock
from billing.payments.repository import TransactionRepository
from billing.payments.settlement.service import OPEN
from billing.providers.registry import ProviderFactory
from billing.settings.schemas import DunningFinalAction, OperatorSettings
from billing.subscriptions.events import emit_changes, snapshot
from billing.subscriptions.invoicing import created_by, settle_pending
from billing.subscriptions.renewal import end
from billing.subscriptions.repository import (
    SubscriptionInvoiceRepository,
    SubscriptionRepository,
)

_ATTEMPTS = uuid.UUID("6a1f0c4e-2b7d-4f5e-9c83-1d2e3f4a5b6c")


class Collected(StrEnum):
    """What one collection step did."""

    PAID = "paid"
    CHARGE_FAILED = "charge_failed"
    EXHAUSTED = "exhausted"
    PROCESSING = "processing"
    PAST_DUE = "past_due"
    CANCELLED = "cancelled"
    WAITING = "waiting"  # nothing to do yet
    BUSY = "busy"  # another worker is on it


def collection_attempt_id(invoice_id: uuid.UUID, attempt: int) -> uuid.UUID:
    """The id of collection attempt ``attempt`` (0 first, then 1, 2... for the retries) of an
    invoice; the provider's idempotency key is derived from it."""
    return uuid.uuid5(_ATTEMPTS, f"{invoice_id}:{attempt}")


async def collect(
    session: AsyncSession,
    scope: AccessScope,
    record_id: uuid.UUID,
    *,
    providers: ProviderFactory,
    callbacks: CallbackUrls,
    settings: OperatorSettings,
    today: date,
) -> Collected:
    """One collection step for one subscription invoice (see the module docstring)."""
    records = SubscriptionInvoiceRepository(session, scope)
    record = await records.get(record_id)
    if record is None:
        return Collected.WAITING
    if not await try_advisory_lock(session, f"charge:{record.invoice_id}"):
        return Collected.BUSY
    # Read again under the lock: another worker may have just finished this step.
    await session.refresh(record)
    invoice = await InvoiceRepository(session, scope).get(record.invoice_id)
    subscription = await SubscriptionRepository(session, scope).get(record.subscription_id)
    if invoice is None or subscription is None:
        return Collected.WAITING
    before = snapshot(subscription)
    outcome = await _step(
        session,
        scope,
        record,
        invoice,
        subscription,
        providers=providers,
        callbacks=callbacks,
        settings=settings,
        today=today,
    )
    await emit_changes(session, subscription, before)
    return outcome


async def _step(
    session: AsyncSession,
    scope: AccessScope,
    record: SubscriptionInvoice,
    invoice: Invoice,
    subscription: Subscription,
    *,
    providers: ProviderFactory,
    callbacks: CallbackUrls,
    settings: OperatorSettings,
    today: date,
) -> Collected:
    state = CollectionState(record.collection_state)
    if state not in (
        CollectionState.SCHEDULED,
        CollectionState.PROCESSING,
        CollectionState.AWAITING_PAYMENT,
    ):
        return Collected.WAITING
    if invoice.status == "cancelled":
        record.collection_state = CollectionState.CANCELLED
        record.next_attempt_at = None
        await _back_to_active(session, scope, subscription)
        return Collected.CANCELLED
    if balance(invoice) <= 0:
        return await _paid(session, scope, record, subscription)
    if state is CollectionState.AWAITING_PAYMENT:
        if invoice.due_date is not None and invoice.due_date < today:
            if SubscriptionStatus(subscription.status) is SubscriptionStatus.ACTIVE:
                subscription.status = SubscriptionStatus.PAST_DUE
            return Collected.PAST_DUE
        return Collected.WAITING
    if state is CollectionState.PROCESSING:
        return await _processing(session, scope, record, subscription, settings, today)
    now = utcnow()
    if record.next_attempt_at is not None and record.next_attempt_at > now:
        return Collected.WAITING
    return await _charge(
        session,
        scope,
        record,
        invoice,
        subscription,
        providers=providers,
        callbacks=callbacks,
        settings=settings,
        today=today,
        now=now,
    )


async def _charge(
    session: AsyncSession,
    scope: AccessScope,
    record: SubscriptionInvoice,
    invoice: Invoice,
    subscription: Subscription,
    *,
    providers: ProviderFactory,
    callbacks: CallbackUrls,
    settings: OperatorSettings,
    today: date,
    now: datetime,
) -> Collected:
    attempt_id = collection_attempt_id(invoice.id, record.attempt_count)
    try:
        charged = await charge_service.charge(
            session,
            scope=scope,
            providers=providers,
            invoice_id=invoice.id,
            method_id=None,
            amount=None,
            initiated_by=created_by(subscription),
            callbacks=callbacks,
            attempt_id=attempt_id,
        )
    except PaymentInProgress:
        return Collected.BUSY
    except InvoiceAlreadyPaid:
        return await _paid(session, scope, record, subscription)
    except BillingError as exc:
        # Refused before reaching a provider (no default method, provider switched off...):
        # it counts as an attempt, so the schedule moves on and ends as configured.
        record.attempt_count += 1
        return await _failed(
            session, scope, record, subscription, exc.code, exc.detail_message, settings, today, now
        )
    record.attempt_count += 1
    record.last_attempt_id = charged.attempt.id
    if charged.error is not None:
        return await _failed(
            session,
            scope,
            record,
            subscription,
            charged.attempt.failure_code or charged.error.code,
            charged.attempt.failure_message or charged.error.detail_message,
            settings,
            today,
            now,
        )
    if balance(charged.invoice) <= 0:
        return await _paid(session, scope, record, subscription)
    record.collection_state = CollectionState.PROCESSING
    record.next_attempt_at = None
    return Collected.PROCESSING


async def _processing(
    session: AsyncSession,
    scope: AccessScope,
    record: SubscriptionInvoice,
    subscription: Subscription,
    settings: OperatorSettings,
    today: date,
) -> Collected:
    """An attempt the provider has not decided yet (SEPA): settlement applies its answer; a
    failure is a failed attempt like any other."""
    attempt = (
        await TransactionRepository(session, scope).get(record.last_attempt_id)
        if record.last_attempt_id
        else None
    )
    if attempt is not None and attempt.status in OPEN:
        return Collected.WAITING
    if attempt is not None and attempt.status == TransactionStatus.SUCCEEDED.value:
        return Collected.WAITING  # settled but not yet paid in full: the next step sees it
    code = attempt.failure_code if attempt is not None else "attempt_missing"
    message = attempt.failure_message if attempt is not None else None
    return await _failed(
        session,
        scope,
        record,
        subscription,
        code or "payment_failed",
        message or "The payment failed.",
        settings,
        today,
        utcnow(),
    )


async def _paid(
    session: AsyncSession,
    scope: AccessScope,
    record: SubscriptionInvoice,
    subscription: Subscription,
) -> Collected:
    record.collection_state = CollectionState.PAID
    record.next_attempt_at = None
    await _back_to_active(session, scope, subscription)
    return Collected.PAID


async def _back_to_active(
    session: AsyncSession, scope: AccessScope, subscription: Subscription
) -> None:
    """A ``past_due`` subscription with no invoice left to collect is ``active`` again."""
    if SubscriptionStatus(subscription.status) is not SubscriptionStatus.PAST_DUE:
        return
    await session.flush()
    if await SubscriptionInvoiceRepository(session, scope).open_for_subscription(subscription.id):
        return
    subscription.status = SubscriptionStatus.ACTIVE


async def _failed(
    session: AsyncSession,
    scope: AccessScope,
    record: SubscriptionInvoice,
    subscription: Subscription,
    code: str,
    message: str,
    settings: OperatorSettings,
    today: date,
    now: datetime,
) -> Collected:
    """Schedule the next retry, or apply the final action after the last one."""
    record.last_failure_code = code[:100]
    record.last_failure_message = message[:500]
    record.first_failed_at = record.first_failed_at or now
    retry_days = settings.subscriptions.dunning_retry_days
    retries_done = record.attempt_count - 1
    if retries_done < len(retry_days):
        record.collection_state = CollectionState.SCHEDULED
        record.next_attempt_at = record.first_failed_at + timedelta(days=retry_days[retries_done])
        if SubscriptionStatus(subscription.status) is SubscriptionStatus.ACTIVE:
            subscription.status = SubscriptionStatus.PAST_DUE
        return Collected.CHARGE_FAILED
    record.collection_state = CollectionState.EXHAUSTED
    record.next_attempt_at = None
    action = DunningFinalAction(settings.subscriptions.dunning_final_action)
    if SubscriptionStatus(subscription.status) in (
        SubscriptionStatus.CANCELLED,
        SubscriptionStatus.PAUSED,
    ):
        return Collected.EXHAUSTED
    if action is DunningFinalAction.CANCEL:
        end(subscription, on=today, reason="payment_failed")
        await settle_pending(
            session,
            scope,
            subscription,
            kind=SubscriptionInvoiceKind.FINAL,
            period=None,
            settings=settings,
            today=today,
            defer_collection=False,
        )
    elif action is DunningFinalAction.PAUSE:
        subscription.status = SubscriptionStatus.PAUSED
        subscription.paused_at = now
    else:
        subscription.status = SubscriptionStatus.PAST_DUE
    return Collected.EXHAUSTED
