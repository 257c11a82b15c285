"""Issuing credit notes: planning under the invoice's lock, numbering, freezing, lifecycle.

Every path that issues a credit note holds the invoice's row lock (``FOR UPDATE``) from reading
what remains creditable until its transaction commits, so two concurrent credit notes of one
invoice are serialised and the second sees what the first credited: together they can never
credit more than the invoice billed.

The money side is split three ways (``MoneySplit``): the part that reduces the invoice's open
balance is recorded here (``Invoice.amount_credited``, and the credit note row itself, which is
append-only); refunds and wallet credit are written by ``billing.payments.credit_notes`` before
it calls ``settle``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import utcnow
from billing.core.money import ZERO, round_money
from billing.core.pagination import PageOf, PageParams
from billing.core.tenancy import AccessScope
from billing.invoices.context import load_settings
from billing.invoices.credit_notes import planning
from billing.invoices.credit_notes.errors import (
    CreditNoteInvalid,
    CreditNoteNotFound,
    InvoiceNotCreditable,
)
from billing.invoices.credit_notes.planning import Creditable, CreditPlan
from billing.invoices.credit_notes.presenter import present as present_credit_note
from billing.invoices.credit_notes.repository import CreditNoteFilters, CreditNoteRepository
from billing.invoices.credit_notes.schemas import CreditNoteCreate, CreditNoteRead
from billing.invoices.numbering import DocumentSeries, allocate_number
from billing.invoices.presenter import balance
from billing.invoices.schemas import CreditNoteSettlement
from billing.models.credit_note import CreditNote, CreditNoteLine
from billing.models.invoice import Invoice
from billing.models.states import EventType, InvoiceStatus
from billing.outbox import events

CREDITABLE_STATUSES = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.SENT, InvoiceStatus.PAID})


@dataclass(frozen=True, slots=True)
class MoneySplit:
    """Where a credit note's total goes; the three parts add up to it."""

    balance_reduction: Decimal
    refunded: Decimal = ZERO
    wallet: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """The credited total."""
        return self.balance_reduction + self.refunded + self.wallet


@dataclass(frozen=True, slots=True)
class PreparedCredit:
    """A planned credit note of a locked invoice and what remained before it."""

    invoice: Invoice
    plan: CreditPlan
    creditable: Creditable

    @property
    def total(self) -> Decimal:
        """The credit note's total (BT-112)."""
        return self.plan.totals.tax_inclusive


class CreditNoteService:
    """Every rule about credit notes as documents."""

    async def get(
        self, session: AsyncSession, *, scope: AccessScope, credit_note_id: uuid.UUID
    ) -> CreditNote:
        """A visible credit note with its lines, or ``CreditNoteNotFound``."""
        found = await CreditNoteRepository(session, scope).get(credit_note_id)
        if found is None:
            raise CreditNoteNotFound
        return found

    async def list(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        filters: CreditNoteFilters,
        page: PageParams,
    ) -> PageOf[CreditNote]:
        """A page of visible credit notes, newest first."""
        return await CreditNoteRepository(session, scope).list_page(filters, page=page)

    async def creditable(
        self, session: AsyncSession, *, scope: AccessScope, invoice: Invoice
    ) -> Creditable:
        """What remains creditable on a locked invoice (``InvoiceNotCreditable`` unless it is
        issued, sent or paid)."""
        if invoice.status not in CREDITABLE_STATUSES or invoice.invoice_number is None:
            raise InvoiceNotCreditable(
                f"Only issued, sent or paid invoices take credit notes; this one is "
                f"{invoice.status}."
            )
        previous = await CreditNoteRepository(session, scope).for_invoice(
            invoice.tenant_id, invoice.id
        )
        return planning.remaining(invoice, previous)

    async def prepare(
        self, session: AsyncSession, *, scope: AccessScope, invoice: Invoice, body: CreditNoteCreate
    ) -> PreparedCredit:
        """Plan the credit note ``body`` asks for on a locked invoice; nothing is written."""
        creditable = await self.creditable(session, scope=scope, invoice=invoice)
        if body.lines is not None:
            plan = planning.plan_lines(
                invoice,
                creditable,
                [(line.invoice_item_id, line.quantity) for line in body.lines],
            )
        elif body.amounts is not None:
            plan = planning.plan_amounts(
                invoice,
                creditable,
                [(item.tax_category, item.tax_rate, item.amount) for item in body.amounts],
            )
        else:
            plan = planning.plan_full(invoice, creditable)
        return PreparedCredit(invoice, plan, creditable)

    async def prepare_amount(
        self, session: AsyncSession, *, scope: AccessScope, invoice: Invoice, amount: Decimal
    ) -> PreparedCredit:
        """Plan a credit note totalling exactly ``amount`` (a refund's share of the invoice)."""
        creditable = await self.creditable(session, scope=scope, invoice=invoice)
        return PreparedCredit(invoice, planning.plan_gross(invoice, creditable, amount), creditable)

    async def issue(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        prepared: PreparedCredit,
        reason: str,
        settlement: CreditNoteSettlement,
        split: MoneySplit,
        created_by: str | None,
        issue_date: date | None = None,
    ) -> CreditNote:
        """Number and write the credit note, and credit the invoice by its total.

        The invoice's status is left to ``settle``, which the caller runs once the money
        (refunds, wallet credit) has moved.
        """
        invoice, plan = prepared.invoice, prepared.plan
        currency = invoice.currency
        if split.total != prepared.total:
            raise ValueError("the money split must add up to the credit note's total")
        settings, today = await load_settings(session)
        day = issue_date or today
        if day < invoice.issue_date:
            raise CreditNoteInvalid(
                f"A credit note cannot be dated before its invoice ({invoice.issue_date}).",
                details=[{"field": "issue_date", "value": day.isoformat()}],
            )
        number = await allocate_number(
            session,
            series=settings.credit_note_series,
            prefix=settings.credit_note_prefix,
            day=day,
            documents=DocumentSeries.CREDIT_NOTE,
        )
        assert invoice.invoice_number is not None
        totals = plan.totals
        credit_note = CreditNote(
            id=uuid.uuid4(),
            tenant_id=invoice.tenant_id,
            invoice_id=invoice.id,
            credit_note_number=number,
            kind=plan.kind.value,
            reason=reason,
            currency=currency,
            issue_date=day,
            subtotal=totals.line_total,
            discount_amount=totals.allowance_total,
            discount_split=planning.split_json(plan.discount_split),
            tax_amount=totals.tax_total,
            total_amount=totals.tax_inclusive,
            settlement=settlement.value,
            balance_reduction=split.balance_reduction,
            refunded_amount=split.refunded,
            wallet_amount=split.wallet,
            invoice_number=invoice.invoice_number,
            invoice_issue_date=invoice.issue_date,
            buyer=dict(invoice.buyer),
            seller=dict(invoice.seller or {}),
            buyer_reference=invoice.buyer_reference,
            purchase_order_reference=invoice.purchase_order_reference,
            destination_country=invoice.destination_country,
            created_by=created_by,
            created_at=utcnow(),
        )
        lines = [
            CreditNoteLine(
                id=uuid.uuid4(),
                tenant_id=invoice.tenant_id,
                credit_note_id=credit_note.id,
                position=position,
                invoice_line_id=line.invoice_line_id,
                sku=line.sku,
                name=line.name,
                description=line.description,
                quantity=line.quantity,
                unit_code=line.unit_code,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
                tax_category=line.tax_category.value,
                tax_exemption_reason_code=line.exemption_code,
                tax_exemption_reason=line.exemption_reason,
                line_total=net,
                created_at=credit_note.created_at,
            )
            for position, (line, net) in enumerate(
                zip(plan.lines, totals.line_nets, strict=True), 1
            )
        ]
        stored = await CreditNoteRepository(session, scope).add(credit_note, lines)
        invoice.amount_credited = (
            round_money(invoice.amount_credited, currency) + totals.tax_inclusive
        )
        await session.flush()

        async def read() -> CreditNoteRead:
            return present_credit_note(stored)

        await events.emit(
            session,
            EventType.CREDIT_NOTE_CREATED,
            tenant_id=stored.tenant_id,
            object_type="credit_note",
            object_id=stored.id,
            payload=read,
        )
        return stored

    async def settle(
        self, session: AsyncSession, *, invoice: Invoice, prepared: PreparedCredit
    ) -> None:
        """The invoice's lifecycle after a credit note and its money moved.

        Credited in full (nothing left to credit) with nothing paid left on it: cancelled, the
        same state cancelling it gives. Otherwise paid when nothing is due any more and
        something was paid, issued again when a paid invoice owes something.
        """
        exhausted = planning.after(prepared.creditable, prepared.plan).exhausted
        now = utcnow()
        if exhausted and invoice.amount_paid <= 0:
            invoice.status = InvoiceStatus.CANCELLED
            invoice.cancelled_at = invoice.cancelled_at or now
        elif invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.SENT):
            if balance(invoice) <= 0 and invoice.amount_paid > 0:
                invoice.status = InvoiceStatus.PAID
                invoice.paid_at = invoice.paid_at or now
        elif invoice.status == InvoiceStatus.PAID and balance(invoice) > 0:
            invoice.status = InvoiceStatus.ISSUED
            invoice.paid_at = None
        await session.flush()
        await session.refresh(invoice, ["credit_notes"])

    async def credit_in_full(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        invoice: Invoice,
        reason: str,
        created_by: str | None,
    ) -> CreditNote | None:
        """The full credit note of an invoice being cancelled (its open balance is reduced by
        everything that remains); ``None`` when nothing remains to credit."""
        creditable = await self.creditable(session, scope=scope, invoice=invoice)
        if creditable.exhausted:
            return None
        plan = planning.plan_full(invoice, creditable)
        prepared = PreparedCredit(invoice, plan, creditable)
        open_balance = max(balance(invoice), ZERO)
        if prepared.total > open_balance:
            # Only an unpaid invoice is cancelled; its whole remaining total is still open.
            raise InvoiceNotCreditable(
                "The invoice's payments must be refunded before it can be cancelled."
            )
        return await self.issue(
            session,
            scope=scope,
            prepared=prepared,
            reason=reason,
            settlement=CreditNoteSettlement.REDUCE_BALANCE,
            split=MoneySplit(balance_reduction=prepared.total),
            created_by=created_by,
        )


credit_note = CreditNoteService()
