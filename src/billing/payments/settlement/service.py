"""Settlement: the one place where a provider's word moves money in the ledger.

Every path that learns something about a provider payment (an inbox job for a delivery, the
poller, the sweep, a payer's status check, an off-session charge) comes here, in two steps:

1. **Fetch the truth first**, holding no lock: ``confirm`` asks the provider itself about the
   attempt (STK Query, Pesapal GetTransactionStatus, Stripe PaymentIntent, Mollie payment).
   What a delivery's body said is never used for money; at most a label such as a receipt.
2. **Then lock and apply**: ``apply`` takes the attempt's row lock, re-reads it, and moves it
   monotonically:

   * a success already recorded is never overwritten (not by a later failure, poll or replay);
   * a success reported after a failure or expiry is still recorded: the money moved;
   * a success whose amount or currency differs from the attempt changes nothing;
   * the money goes to the invoice up to its balance, and any rest (or everything, if the
     invoice was cancelled meanwhile) to the tenant's wallet, so nothing received is lost;
   * refunds the provider reports beyond the ledger are recorded (Stripe, Mollie).

No provider is called while a row is locked, so a slow provider never stalls other payments.
Running a settlement twice is harmless: the second finds the attempt already settled.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth import capabilities
from billing.core.money import round_money
from billing.core.tenancy import AccessScope
from billing.invoices.service import invoice as invoice_service
from billing.models.ledger import PaymentTransaction
from billing.models.states import TransactionStatus
from billing.payments.events import emit_failed_attempt
from billing.payments.ledger import PAYABLE_STATUSES, invoice_balance, lock_wallet, record_receipt
from billing.payments.refunds import reconcile_refunds
from billing.payments.repository import TransactionRepository
from billing.payments.service import payment as payment_service
from billing.providers.base import PaymentResult, PaymentStatus, ProviderKey
from billing.providers.registry import ProviderFactory

SETTLED = frozenset({TransactionStatus.SUCCEEDED, TransactionStatus.REFUNDED})
OPEN = frozenset({TransactionStatus.PENDING, TransactionStatus.PROCESSING})


class Outcome(StrEnum):
    """What one settlement changed (stored on inbox deliveries, returned to jobs)."""

    SUCCEEDED = "succeeded"
    PROCESSING = "processing"
    PENDING = "pending"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    REFUND_RECORDED = "refund_recorded"
    ALREADY_SETTLED = "already_settled"
    ALREADY_FINAL = "already_final"
    AMOUNT_MISMATCH = "amount_mismatch"
    UNKNOWN_ATTEMPT = "unknown_attempt"


_OUTCOMES = frozenset(outcome.value for outcome in Outcome)
_FINAL = {
    PaymentStatus.FAILED: TransactionStatus.FAILED,
    PaymentStatus.CANCELLED: TransactionStatus.CANCELLED,
    PaymentStatus.EXPIRED: TransactionStatus.EXPIRED,
    PaymentStatus.REFUNDED: TransactionStatus.FAILED,
}


class SettlementService:
    """Fetch the provider's truth, then apply it to the attempt under its lock."""

    async def confirm(
        self,
        session: AsyncSession,
        *,
        providers: ProviderFactory,
        provider: ProviderKey,
        provider_ref: str,
        labels: Mapping[str, Any] | None = None,
    ) -> Outcome:
        """Ask ``provider`` about our attempt ``provider_ref`` and apply its answer.

        The session is narrowed to the attempt's tenant and attempt first (whatever scope it
        had). ``labels`` (a receipt number from an authenticated delivery, say) are stored on
        the attempt for reference only. Provider errors propagate: the caller retries later.
        """
        ref = await capabilities.attempt_by_provider_ref(session, provider.value, provider_ref)
        if ref is None:
            return Outcome.UNKNOWN_ATTEMPT
        scope = await capabilities.narrow(session, ref.tenant_id, attempt_id=ref.id)
        result = await providers.build(provider).get_payment(provider_ref)
        return await self.apply(
            session, scope=scope, attempt_id=ref.id, result=result, gateway_data=labels
        )

    async def refresh(
        self,
        session: AsyncSession,
        *,
        providers: ProviderFactory,
        scope: AccessScope,
        attempt: PaymentTransaction,
    ) -> Outcome:
        """Ask the provider about an attempt already in hand, then apply the answer.

        Provider errors propagate (the stored state stands; the caller decides to retry).
        """
        if attempt.provider is None or not attempt.provider_ref:
            return Outcome(attempt.status) if attempt.status in _OUTCOMES else Outcome.PENDING
        plugin = providers.build(ProviderKey(attempt.provider))
        result = await plugin.get_payment(attempt.provider_ref)
        return await self.apply(session, scope=scope, attempt_id=attempt.id, result=result)

    async def apply(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        attempt_id: uuid.UUID,
        result: PaymentResult,
        gateway_data: Mapping[str, Any] | None = None,
    ) -> Outcome:
        """Move the attempt to what the provider answered (``result`` must come from the
        provider itself: a fetch, or its answer to our own request)."""
        attempt = await TransactionRepository(session, scope).get(attempt_id, for_update=True)
        if attempt is None:
            return Outcome.UNKNOWN_ATTEMPT
        reconciled = None
        if attempt.status == TransactionStatus.SUCCEEDED:
            # First, so a full refund keeps the details of the refund asked through the API.
            reconciled = await reconcile_refunds(
                session, scope=scope, attempt=attempt, result=result
            )
        outcome = await self._apply(session, scope, attempt, result, gateway_data)
        # Again, for a payment this very settlement has just recorded.
        reconciled = (
            await reconcile_refunds(session, scope=scope, attempt=attempt, result=result)
            or reconciled
        )
        await session.flush()
        return Outcome.REFUND_RECORDED if reconciled else outcome

    async def _apply(
        self,
        session: AsyncSession,
        scope: AccessScope,
        attempt: PaymentTransaction,
        result: PaymentResult,
        gateway_data: Mapping[str, Any] | None,
    ) -> Outcome:
        data = dict(attempt.gateway_data or {})
        data.update(gateway_data or {})
        data["last_status"] = result.raw_status
        attempt.gateway_data = data
        if attempt.status == TransactionStatus.SUCCEEDED and (
            result.status is PaymentStatus.REFUNDED
        ):
            return await self._record_reversal(session, scope, attempt)
        if attempt.status in SETTLED:
            return Outcome.ALREADY_SETTLED
        if result.status is PaymentStatus.SUCCEEDED:
            if result.amount is not None and (
                result.amount.currency.upper() != attempt.currency
                or round_money(result.amount.value, attempt.currency) != attempt.amount
            ):
                attempt.gateway_data = {**data, "rejected_amount": str(result.amount.value)}
                return Outcome.AMOUNT_MISMATCH
            await self._record(session, scope, attempt, result)
            return Outcome.SUCCEEDED
        if attempt.status not in OPEN:
            return Outcome.ALREADY_FINAL
        if result.status is PaymentStatus.PROCESSING:
            attempt.status = TransactionStatus.PROCESSING
            return Outcome.PROCESSING
        if result.status is PaymentStatus.PENDING:
            return Outcome.PENDING
        final = _FINAL[result.status]
        attempt.status = final
        attempt.failure_code = (result.failure_code or result.raw_status)[:100]
        attempt.failure_message = (result.failure_message or "")[:500] or None
        if final is TransactionStatus.FAILED:
            await emit_failed_attempt(session, attempt)
        return Outcome(final.value)

    async def _record(
        self,
        session: AsyncSession,
        scope: AccessScope,
        attempt: PaymentTransaction,
        result: PaymentResult,
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
            external_reference=result.provider_receipt
            or str((attempt.gateway_data or {}).get("receipt") or "")
            or attempt.provider_ref,
            paid_at=result.paid_at,
            transaction=attempt,
            notes=f"{attempt.provider} {attempt.provider_ref}",
        )

    async def _record_reversal(
        self, session: AsyncSession, scope: AccessScope, attempt: PaymentTransaction
    ) -> Outcome:
        """The provider reversed a payment we had recorded: refund it in the ledger."""
        if attempt.payment_id is not None:
            await payment_service.reverse_in_full(
                session,
                scope=scope,
                payment_id=attempt.payment_id,
                reason=f"Reversed by {attempt.provider}",
                provider_ref=attempt.provider_ref,
            )
        attempt.status = TransactionStatus.REFUNDED
        return Outcome.REFUNDED


settlement = SettlementService()
