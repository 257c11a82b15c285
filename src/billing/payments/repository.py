"""Every SQL statement of the payments domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from billing.core.keyset import SortOrder
from billing.core.money import round_money
from billing.core.pagination import PageOf, PageParams
from billing.models.invoice import Invoice
from billing.models.ledger import (
    CashTransaction,
    CodPayment,
    PaymentTransaction,
    Refund,
    WalletEntry,
)
from billing.models.payment import Payment, PaymentAllocation
from billing.models.states import Method, TransactionStatus, WalletEntryKind
from billing.repositories import ScopedRepository

OPEN_STATUSES = ("issued", "sent")


async def wallet_balance(session: AsyncSession, tenant_id: uuid.UUID, currency: str) -> Decimal:
    """Credits minus debits of one tenant's wallet in one currency."""
    total = await session.scalar(
        select(func.coalesce(func.sum(WalletEntry.amount), 0)).where(
            WalletEntry.tenant_id == tenant_id, WalletEntry.currency == currency
        )
    )
    return round_money(Decimal(total or 0), currency)


LedgerRow = Payment | PaymentAllocation | Refund | WalletEntry | PaymentTransaction


class LedgerRepository:
    """Writes of the append-only money rows (payments, allocations, refunds, wallet entries):
    they are only ever added, never changed (the API role has no UPDATE on them)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def append(
        self, row: Payment | PaymentAllocation | Refund | WalletEntry | PaymentTransaction
    ) -> None:
        """Add one row to the transaction (flushed with the next statement or flush)."""
        self.session.add(row)


class PaymentRepository(ScopedRepository[Payment]):
    """Payments visible in the scope."""

    model = Payment

    async def get(self, payment_id: uuid.UUID) -> Payment | None:
        """One payment."""
        return await self.get_one_or_none(self.base_statement().where(Payment.id == payment_id))

    async def for_invoice(self, invoice: Invoice) -> list[tuple[Payment, Decimal]]:
        """Payments allocated to ``invoice`` with the net amount each left on it."""
        net = func.sum(PaymentAllocation.amount).label("net")
        statement = (
            select(Payment, net)
            .join(
                PaymentAllocation,
                (PaymentAllocation.tenant_id == Payment.tenant_id)
                & (PaymentAllocation.payment_id == Payment.id),
            )
            .where(
                PaymentAllocation.tenant_id == invoice.tenant_id,
                PaymentAllocation.invoice_id == invoice.id,
            )
            .group_by(Payment.tenant_id, Payment.id)
            .order_by(Payment.paid_at, Payment.id)
        )
        result = await self.session.execute(statement)
        return [(payment, Decimal(amount)) for payment, amount in result.all()]

    async def allocations(self, payment: Payment) -> Sequence[PaymentAllocation]:
        """Every allocation row of a payment (positive and refund reversals), oldest first."""
        result = await self.session.execute(
            select(PaymentAllocation)
            .where(
                PaymentAllocation.tenant_id == payment.tenant_id,
                PaymentAllocation.payment_id == payment.id,
            )
            .order_by(PaymentAllocation.created_at, PaymentAllocation.id)
        )
        return result.scalars().all()

    async def refunded_total(self, payment: Payment) -> Decimal:
        """What was already refunded of a payment."""
        total = await self.session.scalar(
            select(func.coalesce(func.sum(Refund.amount), 0)).where(
                Refund.tenant_id == payment.tenant_id, Refund.payment_id == payment.id
            )
        )
        return Decimal(total or 0)

    async def wallet_credit_of(self, payment: Payment) -> Decimal:
        """The net wallet credit a payment left: its excess, what credit notes moved from its
        invoices to the wallet, minus what refunds took back from the wallet."""
        total = await self.session.scalar(
            select(func.coalesce(func.sum(WalletEntry.amount), 0)).where(
                WalletEntry.tenant_id == payment.tenant_id,
                WalletEntry.payment_id == payment.id,
                WalletEntry.kind.in_(
                    (WalletEntryKind.CREDIT, WalletEntryKind.REFUND, WalletEntryKind.CREDIT_NOTE)
                ),
            )
        )
        return Decimal(total or 0)


class OpenInvoices(ScopedRepository[Invoice]):
    """Invoices that can still take money, for quick-pay and consolidation."""

    model = Invoice

    async def lock_open(
        self, tenant_id: uuid.UUID, currency: str, *, unpaid_only: bool = False
    ) -> Sequence[Invoice]:
        """Open invoices of one tenant and currency, oldest due first, rows locked.

        Locks are taken in id order before sorting so two concurrent quick-pays of one tenant
        wait for each other instead of deadlocking.
        """
        locked = (
            select(Invoice.id)
            .where(
                Invoice.tenant_id == tenant_id,
                Invoice.currency == currency,
                Invoice.status.in_(OPEN_STATUSES),
                Invoice.total_amount > Invoice.amount_credited + Invoice.amount_paid,
            )
            .order_by(Invoice.id)
            .with_for_update()
        )
        if unpaid_only:
            # Nothing paid and nothing credited: merging either would move money or credit
            # between documents.
            locked = locked.where(Invoice.amount_paid == 0, Invoice.amount_credited == 0)
        scope = self.scope_clause()
        if scope is not None:
            locked = locked.where(scope)
        ids = list((await self.session.execute(locked)).scalars().all())
        if not ids:
            return []
        statement = (
            select(Invoice)
            .options(selectinload(Invoice.items))
            .where(Invoice.tenant_id == tenant_id, Invoice.id.in_(ids))
            .order_by(
                Invoice.due_date.asc().nulls_last(),
                Invoice.issue_date,
                Invoice.created_at,
                Invoice.id,
            )
        )
        return (await self.session.execute(statement)).scalars().all()


class WalletRepository(ScopedRepository[WalletEntry]):
    """Wallet entries visible in the scope."""

    model = WalletEntry

    async def balances(self, tenant_id: uuid.UUID) -> dict[str, Decimal]:
        """Balance per currency."""
        statement = (
            select(WalletEntry.currency, func.sum(WalletEntry.amount))
            .where(WalletEntry.tenant_id == tenant_id)
            .group_by(WalletEntry.currency)
            .order_by(WalletEntry.currency)
        )
        result = await self.session.execute(statement)
        return {currency: Decimal(total) for currency, total in result.all()}

    async def latest_entries(self, tenant_id: uuid.UUID, *, limit: int) -> Sequence[WalletEntry]:
        """The newest ``limit`` entries."""
        return await self.get_all(
            self.base_statement()
            .where(WalletEntry.tenant_id == tenant_id)
            .order_by(WalletEntry.created_at.desc(), WalletEntry.id.desc())
            .limit(limit)
        )


@dataclass(frozen=True, slots=True)
class TransactionFilters:
    """Transaction monitoring filters."""

    status: TransactionStatus | None = None
    method: Method | None = None
    tenant_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    timezone: str = "UTC"


class TransactionRepository(ScopedRepository[PaymentTransaction]):
    """Payment attempts visible in the scope."""

    model = PaymentTransaction

    def base_statement(
        self, *, eager: Sequence[ExecutableOption] | None = None
    ) -> Select[PaymentTransaction]:
        """Attempts of the scope; a public scope sees its one attempt (or invoice's attempts)."""
        statement = super().base_statement(eager=eager)
        if self.scope.attempt_id is not None:
            statement = statement.where(PaymentTransaction.id == self.scope.attempt_id)
        elif self.scope.invoice_id is not None:
            statement = statement.where(PaymentTransaction.invoice_id == self.scope.invoice_id)
        return statement

    async def get(
        self, transaction_id: uuid.UUID, *, for_update: bool = False
    ) -> PaymentTransaction | None:
        """One attempt by id; locked (and re-read) with ``for_update``."""
        statement = self.base_statement().where(PaymentTransaction.id == transaction_id)
        if for_update:
            # The locked read refreshes the instance: send pending changes first.
            await self.session.flush()
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.get_one_or_none(statement)

    async def add(self, attempt: PaymentTransaction) -> PaymentTransaction:
        """A new attempt (flushed: its id and reference are taken from now on)."""
        return await self.create(attempt)

    async def by_reference(self, reference: str) -> PaymentTransaction | None:
        """One attempt by its reference."""
        return await self.get_one_or_none(
            self.base_statement().where(PaymentTransaction.reference == reference)
        )

    async def by_provider_ref(
        self, provider: str, provider_ref: str, *, for_update: bool = False
    ) -> PaymentTransaction | None:
        """One attempt by the provider's id for it."""
        statement = self.base_statement().where(
            PaymentTransaction.provider == provider, PaymentTransaction.provider_ref == provider_ref
        )
        if for_update:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def for_invoice(self, invoice_id: uuid.UUID) -> Sequence[PaymentTransaction]:
        """Every attempt on an invoice, newest first."""
        return await self.get_all(
            self.base_statement()
            .where(PaymentTransaction.invoice_id == invoice_id)
            .order_by(PaymentTransaction.created_at.desc(), PaymentTransaction.id)
        )

    def filtered(self, filters: TransactionFilters) -> Select[PaymentTransaction]:
        """The monitoring query."""
        statement = self.base_statement()
        if filters.status:
            statement = statement.where(PaymentTransaction.status == filters.status)
        if filters.method:
            statement = statement.where(PaymentTransaction.method == filters.method)
        if filters.tenant_id:
            statement = statement.where(PaymentTransaction.tenant_id == filters.tenant_id)
        if filters.date_from:
            start = datetime.combine(filters.date_from, time.min, ZoneInfo(filters.timezone))
            statement = statement.where(PaymentTransaction.created_at >= start)
        if filters.date_to:
            next_day = filters.date_to + timedelta(days=1)
            end = datetime.combine(next_day, time.min, ZoneInfo(filters.timezone))
            statement = statement.where(PaymentTransaction.created_at < end)
        return statement

    async def list_page(
        self, filters: TransactionFilters, *, page: PageParams
    ) -> PageOf[PaymentTransaction]:
        """A page of attempts, newest first."""
        return await self.paginate(
            self.filtered(filters),
            page,
            SortOrder("-created_at", PaymentTransaction.created_at, PaymentTransaction.id, True),
        )


class CashTransactionRepository(ScopedRepository[CashTransaction]):
    """Cash counter records."""

    model = CashTransaction


class CodRepository(ScopedRepository[CodPayment]):
    """Cash-on-delivery payments."""

    model = CodPayment

    async def get(self, cod_id: uuid.UUID, *, for_update: bool = False) -> CodPayment | None:
        """One COD payment."""
        statement = self.base_statement().where(CodPayment.id == cod_id)
        if for_update:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def open_for_invoice(self, invoice_id: uuid.UUID) -> Sequence[CodPayment]:
        """The invoice's COD payments still pending or collected (expired or not yet)."""
        statement = self.base_statement().where(
            CodPayment.invoice_id == invoice_id, CodPayment.status.in_(("pending", "collected"))
        )
        return await self.get_all(statement)
