"""The seam where usage lines join subscription invoices (usage metering is a later issue).

Seed 002's upcoming invoice is "current subscription prices and month-to-date usage". Until
usage metering exists, ``USAGE`` reports none and the upcoming invoice says so
(``usage_metered: false``). Metering plugs in by providing a ``UsageSource`` here: the
upcoming invoice shows its lines (kind ``usage``) for the period being invoiced, and the
renewal invoice of that period bills the same lines (``invoicing.settle_pending`` takes them
from the same source), so what the preview announces is what is billed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.tenancy import AccessScope
from billing.invoices.schemas import LineInput
from billing.models.subscription import Subscription
from billing.subscriptions.schedule import Period


@dataclass(frozen=True, slots=True)
class UsageLine:
    """Metered usage of one product over a period, priced (net)."""

    product_id: uuid.UUID
    name: str
    quantity: Decimal
    unit_price: Decimal
    service_start: date
    service_end: date
    description: str | None = None
    tax_rate_id: uuid.UUID | None = None


class UsageSource(Protocol):
    """Where metered usage comes from."""

    metered: bool
    """False while no metering exists: previews say usage is not part of the estimate."""

    async def lines(
        self,
        session: AsyncSession,
        scope: AccessScope,
        subscription: Subscription,
        period: Period,
    ) -> Sequence[UsageLine]:
        """The usage of ``subscription`` to bill for ``period`` (to date, for a preview)."""
        ...


class NoUsage:
    """No metering yet: no usage lines."""

    metered = False

    async def lines(
        self,
        session: AsyncSession,
        scope: AccessScope,
        subscription: Subscription,
        period: Period,
    ) -> Sequence[UsageLine]:
        """Nothing is metered."""
        return ()


USAGE: UsageSource = NoUsage()
"""The usage source of the service (replaced when usage metering exists)."""


def usage_input(line: UsageLine, subscription: Subscription) -> LineInput:
    """The invoice line of a usage line."""
    return LineInput(
        product_id=line.product_id,
        name=line.name,
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        tax_rate_id=line.tax_rate_id,
        variant_info={
            "subscription_id": str(subscription.id),
            "charge": "usage",
            "service_start": line.service_start.isoformat(),
            "service_end": line.service_end.isoformat(),
        },
    )
