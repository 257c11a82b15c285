"""Every SQL statement about invoices and their lines."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, bindparam, inspect, not_, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption

from billing.core.keyset import SortOrder
from billing.core.pagination import PageOf, PageParams
from billing.core.repository import LIKE_ESCAPE, contains_pattern
from billing.invoices.schemas import PaymentStatus, StatusFilter
from billing.models.invoice import Invoice, InvoiceLine
from billing.models.states import InvoiceStatus
from billing.models.tenant import Tenant
from billing.repositories import ScopedRepository, prebuilt_scope_clause

COLLECTIONS = ("items", "cash_transactions", "credit_notes")
"""What every read of an invoice brings with it (relationships are lazy=raise)."""

# Loader options are immutable: built once, not on every read (a read by id built three).
_SELECTED_COLLECTIONS: tuple[ExecutableOption, ...] = (
    selectinload(Invoice.items),
    selectinload(Invoice.cash_transactions),
    selectinload(Invoice.credit_notes),
)
_JOINED_COLLECTIONS: tuple[ExecutableOption, ...] = (
    joinedload(Invoice.items),
    joinedload(Invoice.cash_transactions),
    joinedload(Invoice.credit_notes),
)

OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.SENT)
SORTABLE = {
    "issue_date": Invoice.issue_date,
    "due_date": Invoice.due_date,
    "total_amount": Invoice.total_amount,
    "created_at": Invoice.created_at,
    "invoice_number": Invoice.invoice_number,
}


def list_order(sort: str) -> SortOrder:
    """The order of ``sort`` (a key of ``SORTABLE``, ``-`` first for descending)."""
    name = sort.lstrip("-")
    return SortOrder(sort, SORTABLE[name], Invoice.id, descending=sort.startswith("-"))


@dataclass(frozen=True, slots=True)
class InvoiceFilters:
    """List filters; ``today`` (operator time zone) decides what is overdue."""

    today: date
    status: InvoiceStatus | StatusFilter | None = None
    payment_status: PaymentStatus | None = None
    payment_method: str | None = None
    q: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    tenant_id: uuid.UUID | None = None
    reseller_id: uuid.UUID | None = None
    currency: str | None = None
    open_only: bool = False
    sort: str = "-issue_date"


def has_balance() -> ColumnElement[bool]:
    """Something is still due: the SQL twin of ``billing.invoices.presenter.balance`` > 0."""
    return Invoice.total_amount > Invoice.amount_credited + Invoice.amount_paid


def overdue_clause(today: date) -> ColumnElement[bool]:
    """Issued or sent, past due, with a balance: the SQL twin of ``is_overdue``."""
    return and_(Invoice.status.in_(OPEN_STATUSES), Invoice.due_date < today, has_balance())


def status_clause(status: InvoiceStatus | StatusFilter, today: date) -> ColumnElement[bool]:
    """Effective status as SQL (``overdue`` derived; issued/sent exclude overdue ones).

    Seed 003's ``pending`` and ``partial`` are open invoices (issued or sent, not overdue:
    overdue wins, as in the ``status`` an invoice shows) with nothing or part paid.
    """
    if status in (StatusFilter.PENDING, StatusFilter.PARTIAL):
        open_not_overdue = and_(Invoice.status.in_(OPEN_STATUSES), not_(overdue_clause(today)))
        paid_part = (
            Invoice.amount_paid == 0
            if status is StatusFilter.PENDING
            else (Invoice.amount_paid > 0)
        )
        return and_(open_not_overdue, has_balance(), paid_part)
    status = InvoiceStatus(status.value)
    if status is InvoiceStatus.OVERDUE:
        return overdue_clause(today)
    if status.value in OPEN_STATUSES:
        return and_(Invoice.status == status.value, not_(overdue_clause(today)))
    return Invoice.status == status.value


def payment_status_clause(status: PaymentStatus) -> ColumnElement[bool]:
    """Payment status as SQL; mirrors ``billing.invoices.presenter.payment_status``."""
    refunded = and_(Invoice.amount_refunded > 0, Invoice.amount_paid == 0)
    if status is PaymentStatus.REFUNDED:
        return refunded
    due = Invoice.total_amount - Invoice.amount_credited
    if status is PaymentStatus.PAID:
        return and_(Invoice.amount_paid > 0, Invoice.amount_paid >= due)
    if status is PaymentStatus.PARTIAL:
        return and_(Invoice.amount_paid > 0, Invoice.amount_paid < due)
    return and_(Invoice.amount_paid == 0, not_(refunded))


class InvoiceRepository(ScopedRepository[Invoice]):
    """Invoices visible in the request's scope, always with their lines."""

    model = Invoice

    def eager_options(self) -> Sequence[ExecutableOption]:
        """Lines, cash records and credit notes come with every invoice (one statement each
        per query)."""
        return _SELECTED_COLLECTIONS

    def base_statement(self, *, eager: Sequence[ExecutableOption] | None = None) -> Select[Invoice]:
        """Invoices of the scope; a public scope narrowed to an invoice sees that one only."""
        statement = super().base_statement(eager=eager)
        if self.scope.invoice_id is not None:
            statement = statement.where(Invoice.id == self.scope.invoice_id)
        return statement

    async def get(
        self, invoice_id: uuid.UUID, *, for_update: bool = False, collections: bool = True
    ) -> Invoice | None:
        """One visible invoice; ``for_update`` locks its row for the transaction.

        One statement: the lines and cash records are joined in (a list uses one statement
        per collection instead, which is cheaper for many invoices); ``collections=False``
        reads the invoice's own row only (``load_collections`` adds them when needed).
        """
        if for_update:
            # The locked read must refresh an instance the session already holds: amounts read
            # before the lock may have changed by the time it is granted. The lock is taken on
            # the invoice row only (``FOR UPDATE OF invoices``), so the collections can come in
            # the same statement: every round trip here is made while holding the lock.
            await self.session.flush()
        prebuilt = self.prebuilt_scope()
        if prebuilt is not None:
            tenant, parameters = prebuilt
            statement = _by_id(tenant=tenant, collections=collections, locked=for_update)
            result = await self.session.execute(statement, {**parameters, "invoice_id": invoice_id})
            return result.unique().scalar_one_or_none()
        eager = _JOINED_COLLECTIONS if collections or for_update else ()
        return await self.get_one_or_none(
            _by_id_options(
                self.base_statement(eager=eager).where(Invoice.id == invoice_id), locked=for_update
            )
        )

    async def load_collections(self, invoice: Invoice) -> None:
        """Load the lines, cash records and credit notes of an invoice read without them."""
        state = inspect(invoice)
        missing = [name for name in COLLECTIONS if name in state.unloaded]
        if missing:
            await self.session.refresh(invoice, attribute_names=missing)

    async def get_by_number(self, invoice_number: str) -> Invoice | None:
        """One visible invoice by its number."""
        return await self.get_one_or_none(
            self.base_statement().where(Invoice.invoice_number == invoice_number)
        )

    async def list_page(self, filters: InvoiceFilters, *, page: PageParams) -> PageOf[Invoice]:
        """A filtered, sorted page with its collections: the same statements whatever the page
        size or depth (and the count only when asked)."""
        return await self.paginate(self.list_statement(filters), page, list_order(filters.sort))

    def list_statement(self, filters: InvoiceFilters) -> Select[Invoice]:
        """The visible invoices ``filters`` select, unordered."""
        statement = self.base_statement()
        if filters.status is not None:
            statement = statement.where(status_clause(filters.status, filters.today))
        if filters.open_only:
            statement = statement.where(Invoice.status.in_(OPEN_STATUSES), has_balance())
        if filters.payment_status is not None:
            statement = statement.where(payment_status_clause(filters.payment_status))
        if filters.payment_method:
            statement = statement.where(Invoice.payment_method == filters.payment_method)
        if filters.q:
            pattern = contains_pattern(filters.q)
            statement = statement.where(
                or_(
                    Invoice.invoice_number.ilike(pattern, escape=LIKE_ESCAPE),
                    Invoice.notes.ilike(pattern, escape=LIKE_ESCAPE),
                    Invoice.buyer["name"].astext.ilike(pattern, escape=LIKE_ESCAPE),
                    # Seed 003 searches the subscriber's name too (the tenant as it is now,
                    # not only as it was frozen on the invoice).
                    Invoice.tenant_id.in_(
                        select(Tenant.id).where(
                            or_(
                                Tenant.name.ilike(pattern, escape=LIKE_ESCAPE),
                                Tenant.legal_name.ilike(pattern, escape=LIKE_ESCAPE),
                            )
                        )
                    ),
                )
            )
        if filters.date_from is not None:
            statement = statement.where(Invoice.issue_date >= filters.date_from)
        if filters.date_to is not None:
            statement = statement.where(Invoice.issue_date <= filters.date_to)
        if filters.tenant_id is not None:
            statement = statement.where(Invoice.tenant_id == filters.tenant_id)
        if filters.reseller_id is not None:
            statement = statement.where(
                Invoice.tenant_id.in_(
                    select(Tenant.id).where(Tenant.reseller_id == filters.reseller_id)
                )
            )
        if filters.currency:
            statement = statement.where(Invoice.currency == filters.currency)
        return statement

    async def delete(self, invoice: Invoice) -> None:
        """Remove a draft and its (loaded) lines."""
        await self.session.delete(invoice)
        await self.session.flush()

    async def remove_line(self, invoice: Invoice, line: InvoiceLine) -> None:
        """Remove one line of a draft."""
        invoice.items.remove(line)
        await self.session.flush()


@functools.cache
def _by_id(*, tenant: bool, collections: bool, locked: bool) -> Select[Invoice]:
    """``InvoiceRepository.get`` for an admin or one-tenant scope, built once per shape: the
    invoice (``:invoice_id``) and the scope's tenant are bound at execution."""
    eager = _JOINED_COLLECTIONS if collections or locked else ()
    statement = select(Invoice).options(*eager).where(Invoice.id == bindparam("invoice_id"))
    if tenant:
        statement = statement.where(prebuilt_scope_clause(Invoice.tenant_id))
    return _by_id_options(statement, locked=locked)


def _by_id_options(statement: Select[Invoice], *, locked: bool) -> Select[Invoice]:
    if not locked:
        return statement
    return statement.with_for_update(of=Invoice).execution_options(populate_existing=True)
