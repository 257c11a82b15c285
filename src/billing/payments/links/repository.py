"""Every SQL statement about payment links."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, and_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.base import ExecutableOption

from billing.core.pagination import PageOf, PageParams
from billing.models.invoice import Invoice
from billing.models.ledger import PaymentTransaction
from billing.models.payment_link import PaymentAccount, PaymentLink
from billing.models.states import TransactionStatus
from billing.repositories import ScopedRepository


@dataclass(frozen=True, slots=True)
class LinkSummary:
    """A link with what staff see of its invoice and account."""

    link: PaymentLink
    invoice_number: str | None
    currency: str
    total_amount: Decimal
    amount_paid: Decimal
    public_id: str
    account_identifier: str


@dataclass(frozen=True, slots=True)
class LatePayment:
    """Money that arrived after the link of its invoice expired."""

    link: PaymentLink
    invoice_number: str | None
    reference: str
    method: str
    amount: Decimal
    currency: str
    completed_at: datetime


class PaymentLinkRepository(ScopedRepository[PaymentLink]):
    """Payment links visible in the scope (a public scope narrowed to an invoice sees its
    link only)."""

    model = PaymentLink

    def base_statement(
        self, *, eager: Sequence[ExecutableOption] | None = None
    ) -> Select[PaymentLink]:
        """Links of the scope; narrowed to one invoice when the scope is."""
        statement = super().base_statement(eager=eager)
        if self.scope.invoice_id is not None:
            statement = statement.where(PaymentLink.invoice_id == self.scope.invoice_id)
        return statement

    async def insert_if_absent(self, link: PaymentLink) -> bool:
        """Insert ``link`` unless the merchant already used its transaction id.

        ``ON CONFLICT DO NOTHING`` on the unique (merchant, transaction id) index: a concurrent
        request with the same id waits for the first to commit, then inserts nothing. Returns
        False when nothing was inserted.
        """
        inserted = await self.session.scalar(
            insert(PaymentLink)
            .values(
                tenant_id=link.tenant_id,
                id=link.id,
                invoice_id=link.invoice_id,
                merchant=link.merchant,
                transaction_id=link.transaction_id,
                payment_account_id=link.payment_account_id,
                expires_at=link.expires_at,
                description=link.description,
                customer=link.customer,
                created_by=link.created_by,
                created_at=link.created_at,
            )
            .on_conflict_do_nothing(index_elements=["merchant", "transaction_id"])
            .returning(PaymentLink.id)
        )
        return inserted is not None

    async def get(self, tenant_id: uuid.UUID, link_id: uuid.UUID) -> PaymentLink | None:
        """One link."""
        return await self.get_one_or_none(
            self.base_statement().where(
                PaymentLink.tenant_id == tenant_id, PaymentLink.id == link_id
            )
        )

    async def by_transaction(self, merchant: str, transaction_id: str) -> PaymentLink | None:
        """The merchant's link with this transaction id."""
        return await self.get_one_or_none(
            self.base_statement().where(
                PaymentLink.merchant == merchant, PaymentLink.transaction_id == transaction_id
            )
        )

    async def by_invoice_number(self, merchant: str, invoice_number: str) -> PaymentLink | None:
        """The merchant's link of the invoice with this number."""
        return await self.get_one_or_none(
            self.base_statement()
            .join(
                Invoice,
                and_(
                    Invoice.tenant_id == PaymentLink.tenant_id, Invoice.id == PaymentLink.invoice_id
                ),
            )
            .where(PaymentLink.merchant == merchant, Invoice.invoice_number == invoice_number)
        )

    async def for_invoice(self, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> PaymentLink | None:
        """The link of an invoice, if it was created through seed 004."""
        return await self.get_one_or_none(
            self.base_statement().where(
                PaymentLink.tenant_id == tenant_id, PaymentLink.invoice_id == invoice_id
            )
        )

    async def list_page(
        self,
        *,
        tenant_id: uuid.UUID | None,
        expired_before: datetime | None,
        page: PageParams,
    ) -> PageOf[LinkSummary]:
        """Links with what staff see of their invoice and account, newest first (two
        statements whatever the page size); ``expired_before`` keeps those whose expiry passed
        by then."""
        statement = (
            select(
                PaymentLink,
                Invoice.invoice_number,
                Invoice.currency,
                Invoice.total_amount,
                Invoice.amount_paid,
                Invoice.public_id,
                PaymentAccount.identifier,
            )
            .join(
                Invoice,
                and_(
                    Invoice.tenant_id == PaymentLink.tenant_id,
                    Invoice.id == PaymentLink.invoice_id,
                ),
            )
            .join(PaymentAccount, PaymentAccount.id == PaymentLink.payment_account_id)
        )
        clause = self.scope_clause()
        if clause is not None:
            statement = statement.where(clause)
        if tenant_id is not None:
            statement = statement.where(PaymentLink.tenant_id == tenant_id)
        if expired_before is not None:
            statement = statement.where(PaymentLink.expires_at <= expired_before)
        rows = await self.paginate_rows(
            statement.order_by(PaymentLink.created_at.desc(), PaymentLink.id), page
        )
        summaries = [
            LinkSummary(
                link=link,
                invoice_number=number,
                currency=currency,
                total_amount=total_amount,
                amount_paid=amount_paid,
                public_id=public_id,
                account_identifier=identifier,
            )
            for (link, number, currency, total_amount, amount_paid, public_id, identifier) in (
                rows.items
            )
        ]
        return PageOf(summaries, rows.total, rows.has_next, None)

    async def late_payments(
        self, *, tenant_id: uuid.UUID | None, page: PageParams
    ) -> PageOf[LatePayment]:
        """Succeeded payments of link invoices completed after the link expired (money that
        was still settled, e.g. an attempt started before the expiry), newest first."""
        statement = (
            select(
                PaymentLink,
                Invoice.invoice_number,
                PaymentTransaction.reference,
                PaymentTransaction.method,
                PaymentTransaction.amount,
                PaymentTransaction.currency,
                PaymentTransaction.completed_at,
            )
            .join(
                Invoice,
                and_(
                    Invoice.tenant_id == PaymentLink.tenant_id, Invoice.id == PaymentLink.invoice_id
                ),
            )
            .join(
                PaymentTransaction,
                and_(
                    PaymentTransaction.tenant_id == PaymentLink.tenant_id,
                    PaymentTransaction.invoice_id == PaymentLink.invoice_id,
                ),
            )
            .where(
                PaymentLink.expires_at.is_not(None),
                PaymentTransaction.status.in_(
                    (TransactionStatus.SUCCEEDED, TransactionStatus.REFUNDED)
                ),
                PaymentTransaction.completed_at > PaymentLink.expires_at,
            )
        )
        clause = self.scope_clause()
        if clause is not None:
            statement = statement.where(clause)
        if tenant_id is not None:
            statement = statement.where(PaymentLink.tenant_id == tenant_id)
        rows = await self.paginate_rows(
            statement.order_by(PaymentTransaction.completed_at.desc(), PaymentTransaction.id), page
        )
        late = []
        for link, number, reference, method, amount, currency, completed_at in rows.items:
            assert completed_at is not None  # the statement keeps completed attempts only
            late.append(
                LatePayment(
                    link=link,
                    invoice_number=number,
                    reference=reference,
                    method=str(method),
                    amount=amount,
                    currency=currency,
                    completed_at=completed_at,
                )
            )
        return PageOf(late, rows.total, rows.has_next, None)
