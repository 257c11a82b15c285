"""Resolving payment attempts whose callback is late or lost: poll, then expire.

An attempt stays open while the payer can still act (the STK prompt, the hosted page). The
poll job asks the provider, applies what it says and, if the attempt is still open, asks again
later; past its window the attempt is marked expired. A late success is still recorded
(``apply_result`` accepts a success after expiry), so no money is lost.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth import capabilities
from billing.core.clock import utcnow
from billing.models.states import TransactionStatus
from billing.payments.repository import TransactionRepository
from billing.payments.settlement.service import OPEN, settlement
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
    providers: ProviderFactory,
    tenant_id: uuid.UUID,
    attempt_id: uuid.UUID,
    now: datetime | None = None,
) -> bool:
    """Ask the provider about one attempt of ``tenant_id``; returns True while it is open.

    Runs under a scope narrowed to that attempt. The provider is asked holding no lock;
    settlement applies the answer, and expiry locks the attempt only to mark it.
    """
    now = now or utcnow()
    scope = await capabilities.narrow(session, tenant_id, attempt_id=attempt_id)
    repository = TransactionRepository(session, scope)
    attempt = await repository.get(attempt_id)
    if attempt is None or attempt.status not in OPEN or attempt.provider is None:
        return False
    if attempt.provider_ref:
        try:
            await settlement.refresh(session, providers=providers, scope=scope, attempt=attempt)
        except ProviderError:
            pass  # unknown for now; try again later
    if attempt.status in OPEN and now - attempt.created_at > WINDOWS.get(
        attempt.provider, DEFAULT_WINDOW
    ):
        locked = await repository.get(attempt_id, for_update=True)
        if locked is not None and locked.status in OPEN:
            locked.status = TransactionStatus.EXPIRED
            locked.failure_code = "expired"
            locked.failure_message = "No result from the provider within the payment window."
    await session.flush()
    return attempt.status in OPEN


async def stale_attempts(
    session: AsyncSession, *, now: datetime | None = None, limit: int = 500
) -> list[capabilities.ObjectRef]:
    """Open provider attempts old enough that their callback should have come (ids only,
    across tenants: each is then polled under its own tenant's scope)."""
    now = now or utcnow()
    return await capabilities.open_attempts(
        session, created_before=now - SWEEP_MIN_AGE, limit=limit
    )
