"""Resolving payment attempts whose callback is late or lost: poll, then expire.

An attempt stays open while the payer can still act (the STK prompt, the hosted page). The
poll job asks the provider, applies what it says and, if the attempt is still open, asks again
later; past its window the attempt is marked expired. A late success is still recorded
(``apply_result`` accepts a success after expiry), so no money is lost.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from billing.checkout.settlement import OPEN, apply_result
from billing.core.clock import utcnow
from billing.core.tenancy import AccessScope
from billing.models.ledger import PaymentTransaction
from billing.payments.ledger import TransactionStatus
from billing.payments.repository import TransactionRepository
from billing.providers.base import ProviderError, ProviderKey
from billing.providers.registry import ProviderFactory

POLL_INTERVAL = timedelta(seconds=30)
SWEEP_MIN_AGE = timedelta(seconds=60)
# How long a payer has: Daraja's STK prompt is short; a Pesapal page can stay open longer.
# SEPA debits through Stripe or Mollie settle over days, so card providers get two weeks.
WINDOWS = {
    ProviderKey.MPESA.value: timedelta(minutes=3),
    ProviderKey.PESAPAL.value: timedelta(hours=24),
    ProviderKey.STRIPE.value: timedelta(days=14),
    ProviderKey.MOLLIE.value: timedelta(days=14),
}
DEFAULT_WINDOW = timedelta(hours=24)


async def poll_attempt(
    session: AsyncSession,
    *,
    scope: AccessScope,
    providers: ProviderFactory,
    attempt_id: uuid.UUID,
    now: datetime | None = None,
) -> bool:
    """Ask the provider about one attempt; returns True while it is still open."""
    now = now or utcnow()
    attempt = await TransactionRepository(session, scope).get_one_or_none(
        TransactionRepository(session, scope)
        .base_statement()
        .where(PaymentTransaction.id == attempt_id)
        .with_for_update()
    )
    if attempt is None or attempt.status not in OPEN or attempt.provider is None:
        return False
    if attempt.provider_ref:
        try:
            result = await providers.build(ProviderKey(attempt.provider)).get_payment(
                attempt.provider_ref
            )
        except ProviderError:
            result = None  # unknown for now; try again later
        if result is not None:
            await apply_result(session, scope=scope, attempt=attempt, result=result)
    if attempt.status in OPEN and now - attempt.created_at > WINDOWS.get(
        attempt.provider, DEFAULT_WINDOW
    ):
        attempt.status = TransactionStatus.EXPIRED.value
        attempt.failure_code = "expired"
        attempt.failure_message = "No result from the provider within the payment window."
    await session.flush()
    return attempt.status in OPEN


async def stale_attempts(
    session: AsyncSession, *, scope: AccessScope, now: datetime | None = None, limit: int = 500
) -> Sequence[PaymentTransaction]:
    """Open provider attempts old enough that their callback should have come."""
    now = now or utcnow()
    repository = TransactionRepository(session, scope)
    statement = (
        repository.base_statement()
        .where(
            PaymentTransaction.status.in_(OPEN),
            PaymentTransaction.provider.is_not(None),
            PaymentTransaction.created_at < now - SWEEP_MIN_AGE,
        )
        .order_by(PaymentTransaction.created_at)
        .limit(limit)
    )
    return await repository.get_all(statement)
