"""What the subscription operations share: the operator's today, the outcome of an operation,
the pending amount, storing a period's new segments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import today_in
from billing.core.tenancy import AccessScope
from billing.models.subscription import Subscription
from billing.settings.schemas import OperatorSettings
from billing.settings.service import settings as settings_service
from billing.subscriptions.invoicing import Settled
from billing.subscriptions.ledger import ZERO
from billing.subscriptions.periods import PeriodState
from billing.subscriptions.repository import ChargeRepository
from billing.subscriptions.schemas import ProrationQuote


@dataclass(slots=True)
class Outcome:
    """A subscription after an operation, with what the operation billed."""

    subscription: Subscription
    quote: ProrationQuote | None = None
    settled: Settled | None = None
    pending_amount: Decimal = ZERO


async def today_of(session: AsyncSession) -> tuple[OperatorSettings, date]:
    """The operator settings and today in the operator's time zone."""
    current = await settings_service.get(session)
    return current, today_in(current.timezone)


def store_segments(session: AsyncSession, state: PeriodState) -> None:
    """Add the period's segments that are not stored yet."""
    for segment in state.segments:
        if segment not in session:
            session.add(segment)


async def pending_amount(
    session: AsyncSession, scope: AccessScope, subscription: Subscription
) -> Decimal:
    """Net amount of the charges waiting for the subscription's next invoice."""
    await session.flush()
    pending = await ChargeRepository(session, scope).pending(subscription.id)
    return sum((charge.amount for charge in pending), ZERO)
