"""Every SQL statement about subscriptions, their schedule, charges and invoices.

The billing cycle's work lists (``due_subscription_refs``, ``due_collection_refs``) run with no
scope at all: they call database functions that read across tenants for that one statement
and return ids only (migration c0ffee000009); each item is then handled under its own
tenant's scope.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from billing.core.keyset import SortOrder
from billing.core.pagination import PageOf, PageParams
from billing.models.invoice import Invoice
from billing.models.subscription import (
    RENEWING_STATUSES,
    ChargeState,
    Subscription,
    SubscriptionCharge,
    SubscriptionInvoice,
    SubscriptionInvoiceKind,
    SubscriptionSegment,
    SubscriptionStatus,
)
from billing.repositories import ScopedRepository

_NIL = uuid.UUID(int=0)


@dataclass(frozen=True, slots=True)
class Ref:
    """One object and the tenant that owns it (a work item of the billing cycle)."""

    tenant_id: uuid.UUID
    id: uuid.UUID


async def due_subscription_refs(
    session: AsyncSession,
    *,
    today: date,
    after: uuid.UUID | None,
    limit: int,
) -> list[Ref]:
    """Subscriptions whose current period (or trial) ended by ``today``, across tenants, by id
    after ``after`` (ids only; each is then advanced under its own tenant's scope)."""
    rows = (
        await session.execute(
            text("SELECT tenant_id, id FROM billing_due_subscription_refs(:today, :after, :limit)"),
            {"today": today, "after": after or _NIL, "limit": limit},
        )
    ).all()
    return [Ref(row.tenant_id, row.id) for row in rows]


async def due_collection_refs(
    session: AsyncSession,
    *,
    now: datetime,
    today: date,
    after: uuid.UUID | None,
    limit: int,
) -> list[Ref]:
    """Subscription invoices whose collection has something to do, across tenants, by id."""
    rows = (
        await session.execute(
            text(
                "SELECT tenant_id, id"
                " FROM billing_due_collection_refs(:now, :today, :after, :limit)"
            ),
            {"now": now, "today": today, "after": after or _NIL, "limit": limit},
        )
    ).all()
    return [Ref(row.tenant_id, row.id) for row in rows]


class SubscriptionRepository(ScopedRepository[Subscription]):
    """Subscriptions visible in the scope, always with their items."""

    model = Subscription

    def eager_options(self) -> Sequence[ExecutableOption]:
        """Items come with every subscription."""
        return (selectinload(Subscription.items),)

    async def get(
        self, subscription_id: uuid.UUID, *, for_update: bool = False, skip_locked: bool = False
    ) -> Subscription | None:
        """One subscription; ``for_update`` locks it (``skip_locked``: or returns None when
        another transaction holds it)."""
        statement = self.base_statement().where(Subscription.id == subscription_id)
        if for_update:
            statement = statement.with_for_update(of=Subscription, skip_locked=skip_locked)
        return await self.get_one_or_none(statement)

    async def list_page(
        self,
        *,
        tenant_id: uuid.UUID | None,
        status: SubscriptionStatus | None,
        page: PageParams,
    ) -> PageOf[Subscription]:
        """A filtered page, newest first."""
        statement: Select[Subscription] = self.base_statement()
        if tenant_id is not None:
            statement = statement.where(Subscription.tenant_id == tenant_id)
        if status is not None:
            statement = statement.where(Subscription.status == status.value)
        return await self.paginate(
            statement,
            page,
            SortOrder("-created_at", Subscription.created_at, Subscription.id, descending=True),
        )

    async def renewing_for_tenant(self, tenant_id: uuid.UUID) -> Sequence[Subscription]:
        """The tenant's subscriptions that will still invoice, soonest period end first."""
        return await self.get_all(
            self.base_statement()
            .where(
                Subscription.tenant_id == tenant_id,
                Subscription.status.in_([status.value for status in RENEWING_STATUSES]),
            )
            .order_by(Subscription.current_period_end, Subscription.created_at, Subscription.id)
        )

    async def live_for_tenant(self, tenant_id: uuid.UUID) -> Sequence[Subscription]:
        """The tenant's subscriptions that are not cancelled."""
        return await self.get_all(
            self.base_statement()
            .where(
                Subscription.tenant_id == tenant_id,
                Subscription.status != SubscriptionStatus.CANCELLED.value,
            )
            .order_by(Subscription.created_at, Subscription.id)
        )


class SegmentRepository(ScopedRepository[SubscriptionSegment]):
    """The schedule of each period: which configuration ran on which days."""

    model = SubscriptionSegment

    async def for_period(
        self, subscription_id: uuid.UUID, period_start: date
    ) -> Sequence[SubscriptionSegment]:
        """Segments of one period, in order."""
        return await self.get_all(
            self.base_statement()
            .where(
                SubscriptionSegment.subscription_id == subscription_id,
                SubscriptionSegment.period_start == period_start,
            )
            .order_by(SubscriptionSegment.start_date, SubscriptionSegment.created_at)
        )

    def add_all(self, segments: Iterable[SubscriptionSegment]) -> None:
        """Add new segments (flushed with the transaction's next statement)."""
        self.session.add_all(list(segments))


class ChargeRepository(ScopedRepository[SubscriptionCharge]):
    """Amounts billed per item and period."""

    model = SubscriptionCharge

    async def for_period(
        self, subscription_id: uuid.UUID, period_start: date
    ) -> Sequence[SubscriptionCharge]:
        """Every charge of one period (whatever became of it)."""
        return await self.get_all(
            self.base_statement()
            .where(
                SubscriptionCharge.subscription_id == subscription_id,
                SubscriptionCharge.period_start == period_start,
            )
            .order_by(SubscriptionCharge.created_at, SubscriptionCharge.id)
        )

    async def pending(self, subscription_id: uuid.UUID) -> Sequence[SubscriptionCharge]:
        """Charges waiting for the subscription's next invoice, oldest first."""
        return await self.get_all(
            self.base_statement()
            .where(
                SubscriptionCharge.subscription_id == subscription_id,
                SubscriptionCharge.state == ChargeState.PENDING.value,
            )
            .order_by(SubscriptionCharge.created_at, SubscriptionCharge.id)
        )

    def add_all(self, charges: Iterable[SubscriptionCharge]) -> None:
        """Add new charges (flushed with the transaction's next statement)."""
        self.session.add_all(list(charges))


class SubscriptionInvoiceRepository(ScopedRepository[SubscriptionInvoice]):
    """Invoices produced by subscriptions and their collection state."""

    model = SubscriptionInvoice

    async def get(
        self, record_id: uuid.UUID, *, for_update: bool = False
    ) -> SubscriptionInvoice | None:
        """One record (locked with ``for_update``)."""
        statement = self.base_statement().where(SubscriptionInvoice.id == record_id)
        if for_update:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def renewal(
        self, subscription_id: uuid.UUID, period_start: date
    ) -> SubscriptionInvoice | None:
        """The renewal invoice of one period, if it exists."""
        return await self.get_one_or_none(
            self.base_statement().where(
                SubscriptionInvoice.subscription_id == subscription_id,
                SubscriptionInvoice.kind == SubscriptionInvoiceKind.RENEWAL.value,
                SubscriptionInvoice.period_start == period_start,
            )
        )

    async def with_invoices(
        self, subscription_id: uuid.UUID, *, page: PageParams
    ) -> PageOf[tuple[SubscriptionInvoice, Invoice]]:
        """A page of a subscription's invoices with the invoice rows, newest first."""
        statement = (
            select(SubscriptionInvoice, Invoice)
            .join(
                Invoice,
                (Invoice.tenant_id == SubscriptionInvoice.tenant_id)
                & (Invoice.id == SubscriptionInvoice.invoice_id),
            )
            .where(SubscriptionInvoice.subscription_id == subscription_id)
        )
        clause = self.scope_clause()
        if clause is not None:
            statement = statement.where(clause)
        rows = await self.paginate_rows(
            statement.order_by(
                SubscriptionInvoice.created_at.desc(), SubscriptionInvoice.id.desc()
            ),
            page,
        )
        return PageOf([(row[0], row[1]) for row in rows.items], rows.total, rows.has_next, None)

    async def open_for_subscription(self, subscription_id: uuid.UUID) -> int:
        """How many of the subscription's invoices still wait for money."""
        rows = await self.get_all(
            self.base_statement().where(
                SubscriptionInvoice.subscription_id == subscription_id,
                SubscriptionInvoice.collection_state.in_(
                    ["scheduled", "processing", "awaiting_payment"]
                ),
            )
        )
        return len(rows)
