"""The overview's statements: each one aggregate or one short list, whatever the number of
invoices the tenant has."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from billing.invoices.repository import OPEN_STATUSES, has_balance
from billing.models.invoice import Invoice
from billing.models.ledger import WalletEntry
from billing.models.payment import Payment
from billing.models.states import InvoiceStatus
from billing.repositories import ScopedRepository, scope_filter


@dataclass(frozen=True, slots=True)
class BalanceRow:
    """Open and overdue balances of one currency (unrounded)."""

    currency: str
    open_count: int
    balance_due: Decimal
    overdue_count: int
    overdue_amount: Decimal


class OverviewRepository(ScopedRepository[Invoice]):
    """The tenant's invoices, payments and wallet, summed or listed briefly."""

    model = Invoice

    async def balances(self, tenant_id: uuid.UUID, today: date) -> list[BalanceRow]:
        """One row per currency of open invoices with a balance (the status/due-date index)."""
        due = Invoice.total_amount - Invoice.amount_credited - Invoice.amount_paid
        overdue = Invoice.due_date < today
        statement = (
            select(
                Invoice.currency,
                func.count(),
                func.sum(due),
                func.count().filter(overdue),
                func.coalesce(func.sum(due).filter(overdue), 0),
            )
            .where(
                Invoice.tenant_id == tenant_id,
                Invoice.status.in_(OPEN_STATUSES),
                has_balance(),
            )
            .group_by(Invoice.currency)
            .order_by(Invoice.currency)
        )
        clause = self.scope_clause()
        if clause is not None:
            statement = statement.where(clause)
        result = await self.session.execute(statement)
        return [BalanceRow(*row) for row in result.all()]

    async def wallet(self, tenant_id: uuid.UUID) -> list[tuple[str, Decimal]]:
        """Credits minus debits per currency."""
        statement = (
            select(WalletEntry.currency, func.sum(WalletEntry.amount))
            .where(WalletEntry.tenant_id == tenant_id)
            .group_by(WalletEntry.currency)
            .order_by(WalletEntry.currency)
        )
        clause = scope_filter(WalletEntry.tenant_id, self.scope)
        if clause is not None:
            statement = statement.where(clause)
        result = await self.session.execute(statement)
        return [(currency, amount) for currency, amount in result.all()]

    async def recent_invoices(self, tenant_id: uuid.UUID, limit: int) -> Sequence[Invoice]:
        """The newest issued invoices, lines not loaded (the tenant's issue-date index)."""
        statement = (
            self.base_statement()
            .where(Invoice.tenant_id == tenant_id, Invoice.status != InvoiceStatus.DRAFT)
            .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
            .limit(limit)
        )
        return await self.get_all(statement)

    async def recent_payments(self, tenant_id: uuid.UUID, limit: int) -> Sequence[Payment]:
        """The newest payments."""
        statement = (
            select(Payment)
            .where(Payment.tenant_id == tenant_id)
            .order_by(Payment.paid_at.desc(), Payment.id.desc())
            .limit(limit)
        )
        clause = scope_filter(Payment.tenant_id, self.scope)
        if clause is not None:
            statement = statement.where(clause)
        result = await self.session.execute(statement)
        return result.scalars().all()
