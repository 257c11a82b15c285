"""Invoice rules: creating, editing drafts, issuing, cancelling, status changes, deleting."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth.principal import Principal
from billing.core.clock import utcnow
from billing.core.pagination import PageOf, PageParams
from billing.core.tenancy import AccessScope
from billing.invoices.calculation import recalculate
from billing.invoices.context import BuyerContext, load_buyer, load_settings
from billing.invoices.credit_notes.service import credit_note as credit_note_service
from billing.invoices.errors import (
    InvalidStatusTransition,
    InvoiceCancelled,
    InvoiceInvalid,
    InvoiceItemNotFound,
    InvoiceNotDeletable,
    InvoiceNotEditable,
    InvoiceNotFound,
    InvoiceNumberTaken,
    PaymentStatusNotSettable,
)
from billing.invoices.events import emit_invoice
from billing.invoices.lines import LineContext, build_lines
from billing.invoices.numbering import allocate_number, reserve_number
from billing.invoices.ports import PaymentRecorder
from billing.invoices.presenter import balance, commission_amount
from billing.invoices.readiness import check_seller, invoice_formats
from billing.invoices.repository import InvoiceFilters, InvoiceRepository
from billing.invoices.schemas import (
    InvoiceCreate,
    InvoiceUpdate,
    LineInput,
    PaymentStatus,
    StatusUpdate,
)
from billing.invoices.snapshots import buyer_snapshot, seller_snapshot
from billing.invoices.taxes import LineTax, destination_tax
from billing.models.invoice import Invoice, InvoiceLine
from billing.models.states import EventType, InvoiceStatus
from billing.settings.schemas import OperatorSettings
from billing.settings.service import settings as settings_service

DRAFT = InvoiceStatus.DRAFT
SUBTOTAL_LINE_NAME = "Invoice amount"
CANCELLATION_REASON = "Invoice cancelled"


def new_public_id() -> str:
    """96 random bits, url-safe, 16 characters: unguessable yet short enough for a QR code."""
    return secrets.token_urlsafe(12)


class InvoiceService:
    """Every rule about an invoice's content and lifecycle."""

    async def get(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        invoice_id: uuid.UUID,
        for_update: bool = False,
        collections: bool = True,
    ) -> Invoice:
        """A visible invoice with its lines (its row alone with ``collections=False``), or
        ``InvoiceNotFound``."""
        invoice = await InvoiceRepository(session, scope).get(
            invoice_id, for_update=for_update, collections=collections
        )
        if invoice is None:
            raise InvoiceNotFound
        return invoice

    async def load_collections(
        self, session: AsyncSession, *, scope: AccessScope, invoice: Invoice
    ) -> None:
        """Bring the lines, cash records and credit notes of an invoice read without them."""
        await InvoiceRepository(session, scope).load_collections(invoice)

    async def list(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        filters: InvoiceFilters,
        page: PageParams,
    ) -> PageOf[Invoice]:
        """A page of visible invoices with their lines."""
        return await InvoiceRepository(session, scope).list_page(filters, page=page)

    async def create(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        principal: Principal,
        body: InvoiceCreate,
        recorder: PaymentRecorder | None = None,
    ) -> Invoice:
        """Create a draft, then move it to the requested status (issuing, paying...).

        Creating it ``paid`` records the payment through ``recorder``.
        """
        invoice, settings, buyer = await self._draft(
            session, scope=scope, body=body, created_by=principal.key
        )
        if body.invoice_number:
            await self._reserve_requested_number(session, body.invoice_number)
            invoice.invoice_number = body.invoice_number
        repository = InvoiceRepository(session, scope)
        await repository.create(invoice)
        await emit_invoice(session, EventType.INVOICE_CREATED, invoice)
        await self._apply_requested_state(session, scope, invoice, body, settings, buyer, recorder)
        await repository.flush()
        return invoice

    async def preview(
        self, session: AsyncSession, *, scope: AccessScope, body: InvoiceCreate
    ) -> Invoice:
        """The draft ``create`` would make from ``body``, with its lines and totals, not stored.

        What an invoice would look like before it exists (the upcoming invoice of a
        subscription): the same line, tax and totals rules as ``create``, nothing written.
        """
        invoice, _, _ = await self._draft(session, scope=scope, body=body, created_by=None)
        return invoice

    async def _draft(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        body: InvoiceCreate,
        created_by: str | None,
    ) -> tuple[Invoice, OperatorSettings, BuyerContext]:
        settings, today = await load_settings(session)
        buyer = await load_buyer(session, scope, body.tenant_id)
        currency = self._currency(settings, buyer, body.currency)
        settings_service.check_payment_method(settings, body.payment_method)
        self._check_payment_status(body.payment_status)
        issue_date = body.issue_date or today
        due_date = body.due_date or issue_date + timedelta(days=settings.default_due_days)
        self._check_dates(issue_date, due_date)
        overrides = body.customer.model_dump(exclude_none=True) if body.customer else {}
        invoice = Invoice(
            id=uuid.uuid4(),
            tenant_id=buyer.tenant.id,
            public_id=new_public_id(),
            status=DRAFT,
            currency=currency,
            issue_date=issue_date,
            due_date=due_date,
            subtotal=Decimal(0),
            discount_amount=body.discount_amount,
            tax_amount=Decimal(0),
            total_amount=Decimal(0),
            amount_paid=Decimal(0),
            amount_refunded=Decimal(0),
            amount_credited=Decimal(0),
            payment_method=body.payment_method,
            payment_reference=body.payment_reference,
            notes=body.notes,
            language=body.language.value if body.language else None,
            payment_terms=body.payment_terms,
            destination_country=body.destination_country,
            buyer_reference=body.buyer_reference
            or (buyer.profile.buyer_reference if buyer.profile else None),
            purchase_order_reference=body.purchase_order_reference
            or (buyer.profile.purchase_order_reference if buyer.profile else None),
            customer=overrides,
            buyer=buyer_snapshot(buyer.tenant, buyer.profile, overrides),
            created_by=created_by,
        )
        _apply_commission(invoice, buyer)
        inputs = list(body.items)
        if body.subtotal is not None:
            inputs = [
                LineInput(name=SUBTOTAL_LINE_NAME, quantity=Decimal(1), unit_price=body.subtotal)
            ]
        inputs = _with_rate(inputs, body.tax_rate, only_untaxed=True)
        lines = await build_lines(
            session,
            inputs,
            self._line_context(invoice, settings, body.tax_rate_id),
            invoice_id=invoice.id,
        )
        invoice.items = lines
        recalculate(invoice, lines)
        return invoice, settings, buyer

    async def update(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        invoice: Invoice,
        body: InvoiceUpdate,
    ) -> Invoice:
        """Change a draft; ``items`` replaces every line, ``tax_rate_id`` re-taxes them."""
        self._require_draft(invoice)
        settings, _ = await load_settings(session)
        changes = body.model_dump(exclude_unset=True)
        if "currency" in changes and body.currency:
            buyer = await load_buyer(session, scope, invoice.tenant_id)
            invoice.currency = self._currency(settings, buyer, body.currency)
        if "payment_method" in changes:
            settings_service.check_payment_method(settings, body.payment_method)
            invoice.payment_method = body.payment_method
        for field in (
            "destination_country",
            "payment_terms",
            "notes",
            "buyer_reference",
            "purchase_order_reference",
            "payment_reference",
        ):
            if field in changes:
                setattr(invoice, field, changes[field])
        if "language" in changes:
            invoice.language = body.language.value if body.language else None
        if body.issue_date is not None:
            invoice.issue_date = body.issue_date
        if "due_date" in changes:
            invoice.due_date = body.due_date
        self._check_dates(invoice.issue_date, invoice.due_date)
        if body.discount_amount is not None:
            invoice.discount_amount = body.discount_amount
        if body.customer is not None:
            invoice.customer = {**invoice.customer, **body.customer.model_dump(exclude_unset=True)}
            buyer = await load_buyer(session, scope, invoice.tenant_id)
            invoice.buyer = buyer_snapshot(buyer.tenant, buyer.profile, invoice.customer)
        if body.items is not None or body.tax_rate_id is not None or body.tax_rate is not None:
            inputs = body.items if body.items is not None else _inputs_of(invoice.items)
            inputs = _with_rate(inputs, body.tax_rate, only_untaxed=body.items is not None)
            lines = await build_lines(
                session,
                inputs,
                self._line_context(invoice, settings, body.tax_rate_id),
                invoice_id=invoice.id,
            )
            invoice.items = lines
        recalculate(invoice, invoice.items)
        await InvoiceRepository(session, scope).flush()
        return invoice

    async def add_item(
        self, session: AsyncSession, *, scope: AccessScope, invoice: Invoice, body: LineInput
    ) -> Invoice:
        """Append a line to a draft."""
        self._require_draft(invoice)
        settings, _ = await load_settings(session)
        position = max((line.position for line in invoice.items), default=0) + 1
        lines = await build_lines(
            session,
            [body],
            self._line_context(invoice, settings, None),
            invoice_id=invoice.id,
            first_position=position,
        )
        invoice.items.extend(lines)
        recalculate(invoice, invoice.items)
        await InvoiceRepository(session, scope).flush()
        return invoice

    async def remove_item(
        self, session: AsyncSession, *, scope: AccessScope, invoice: Invoice, item_id: uuid.UUID
    ) -> Invoice:
        """Remove a line from a draft."""
        self._require_draft(invoice)
        line = next((line for line in invoice.items if line.id == item_id), None)
        if line is None:
            raise InvoiceItemNotFound
        repository = InvoiceRepository(session, scope)
        await repository.remove_line(invoice, line)
        recalculate(invoice, invoice.items)
        await repository.flush()
        return invoice

    async def issue(
        self, session: AsyncSession, *, scope: AccessScope, invoice: Invoice
    ) -> Invoice:
        """Draft -> issued: number allocated, content and parties frozen."""
        settings, _ = await load_settings(session)
        buyer = await load_buyer(session, scope, invoice.tenant_id)
        await self._issue(session, invoice, settings, buyer)
        await InvoiceRepository(session, scope).flush()
        return invoice

    async def cancel(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        principal: Principal,
        invoice: Invoice,
        reason: str | None = None,
    ) -> Invoice:
        """Cancel (void) an unpaid invoice; it keeps its number, and an issued one gets a full
        credit note of everything that remained."""
        await self._cancel(session, scope, invoice, reason=reason, created_by=principal.key)
        await InvoiceRepository(session, scope).flush()
        return invoice

    async def update_status(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        principal: Principal,
        invoice: Invoice,
        body: StatusUpdate,
        recorder: PaymentRecorder,
    ) -> Invoice:
        """Seed 001's status update: ``paid`` records a payment settling the balance."""
        settings, _ = await load_settings(session)
        settings_service.check_payment_method(settings, body.payment_method)
        self._check_payment_status(body.payment_status)
        if body.notes is not None:
            self._require_draft(invoice)
            invoice.notes = body.notes
        target = body.status
        wants_paid = target is InvoiceStatus.PAID or body.payment_status is PaymentStatus.PAID
        if target is InvoiceStatus.OVERDUE:
            raise InvalidStatusTransition("'overdue' follows from the due date; it cannot be set.")
        if target is InvoiceStatus.DRAFT and invoice.status != DRAFT:
            raise InvalidStatusTransition(
                "An issued invoice keeps its number; cancel it and create a new one."
            )
        if target is InvoiceStatus.CANCELLED:
            await self._cancel(session, scope, invoice, reason=None, created_by=principal.key)
        elif target in (InvoiceStatus.ISSUED, InvoiceStatus.SENT) or wants_paid:
            if invoice.status == InvoiceStatus.CANCELLED:
                raise InvoiceCancelled
            if invoice.status == DRAFT:
                buyer = await load_buyer(session, scope, invoice.tenant_id)
                await self._issue(session, invoice, settings, buyer)
            if target is InvoiceStatus.SENT and invoice.status == InvoiceStatus.ISSUED:
                await self.mark_sent(session, invoice=invoice)
        if body.payment_method is not None:
            invoice.payment_method = body.payment_method
        if body.payment_reference is not None:
            invoice.payment_reference = body.payment_reference
        if wants_paid and balance(invoice) > 0:
            await recorder.settle_in_full(
                session,
                invoice=invoice,
                method=invoice.payment_method or "other",
                external_reference=body.payment_reference,
                recorded_by=principal.key,
            )
        await InvoiceRepository(session, scope).flush()
        return invoice

    async def mark_sent(self, session: AsyncSession, *, invoice: Invoice) -> None:
        """Issued -> sent (the invoice went to the customer); later states stay."""
        if invoice.status == InvoiceStatus.ISSUED:
            invoice.status = InvoiceStatus.SENT
            await session.flush()
            await emit_invoice(session, EventType.INVOICE_SENT, invoice)

    async def delete(self, session: AsyncSession, *, scope: AccessScope, invoice: Invoice) -> None:
        """Delete a draft. Paid or numbered invoices stay: cancel those instead."""
        if invoice.amount_paid > 0 or invoice.status == InvoiceStatus.PAID:
            raise InvoiceNotDeletable("A paid or partly paid invoice cannot be deleted.")
        if invoice.invoice_number is not None:
            raise InvoiceNotDeletable(
                "A numbered invoice cannot be deleted (numbers have no gaps); cancel it instead."
            )
        await InvoiceRepository(session, scope).delete(invoice)

    # -- rules shared by the operations above ------------------------------------------------

    async def _apply_requested_state(
        self,
        session: AsyncSession,
        scope: AccessScope,
        invoice: Invoice,
        body: InvoiceCreate,
        settings: OperatorSettings,
        buyer: BuyerContext,
        recorder: PaymentRecorder | None,
    ) -> None:
        target = body.status
        wants_paid = target is InvoiceStatus.PAID or body.payment_status is PaymentStatus.PAID
        if target is InvoiceStatus.OVERDUE:
            target = InvoiceStatus.ISSUED
        if target is InvoiceStatus.DRAFT and not wants_paid:
            return
        if target is InvoiceStatus.CANCELLED:
            # Still a draft here: cancelling it takes no number and needs no credit note.
            await self._cancel(session, scope, invoice, reason=None, created_by=None)
            return
        await self._issue(session, invoice, settings, buyer)
        if target is InvoiceStatus.SENT:
            await self.mark_sent(session, invoice=invoice)
        if wants_paid and balance(invoice) > 0:
            if recorder is None:
                raise InvalidStatusTransition("This invoice cannot be created paid here.")
            await recorder.settle_in_full(
                session,
                invoice=invoice,
                method=body.payment_method or "other",
                external_reference=body.payment_reference,
                recorded_by=invoice.created_by,
            )

    async def _issue(
        self,
        session: AsyncSession,
        invoice: Invoice,
        settings: OperatorSettings,
        buyer: BuyerContext,
    ) -> None:
        if invoice.status != DRAFT:
            raise InvalidStatusTransition(
                f"Only drafts can be issued; this one is {invoice.status}."
            )
        if not invoice.items:
            raise InvoiceInvalid("An invoice needs at least one line before it is issued.")
        invoice.buyer = buyer_snapshot(buyer.tenant, buyer.profile, invoice.customer)
        invoice.seller = seller_snapshot(settings)
        _apply_commission(invoice, buyer)  # frozen from here on
        invoice.commission_amount = commission_amount(invoice)
        # Before a number is taken: a refused issue must leave no gap in the series.
        check_seller(invoice, settings, invoice_formats(buyer.profile))
        if invoice.invoice_number is None:
            invoice.invoice_number = await allocate_number(
                session,
                series=settings.numbering_series,
                prefix=settings.number_prefix,
                day=invoice.issue_date,
            )
        invoice.issued_at = utcnow()
        invoice.status = InvoiceStatus.ISSUED
        await session.flush()
        await emit_invoice(session, EventType.INVOICE_ISSUED, invoice)

    async def _cancel(
        self,
        session: AsyncSession,
        scope: AccessScope,
        invoice: Invoice,
        *,
        reason: str | None,
        created_by: str | None,
    ) -> None:
        if invoice.status == InvoiceStatus.CANCELLED:
            raise InvalidStatusTransition("The invoice is already cancelled.")
        if invoice.amount_paid > 0 or invoice.status == InvoiceStatus.PAID:
            raise InvalidStatusTransition(
                "A paid or partly paid invoice cannot be cancelled; refund its payments first, "
                "or issue a credit note that refunds them or credits them to the wallet."
            )
        issued = invoice.status != DRAFT
        if issued:
            # An issued invoice is never just voided: a credit note of everything that remains
            # corrects it, and both documents keep their numbers.
            await credit_note_service.credit_in_full(
                session,
                scope=scope,
                invoice=invoice,
                reason=reason or CANCELLATION_REASON,
                created_by=created_by,
            )
        invoice.status = InvoiceStatus.CANCELLED
        invoice.cancelled_at = utcnow()
        if issued:
            await session.flush()
            await session.refresh(invoice, ["credit_notes"])
        await emit_invoice(session, EventType.INVOICE_CANCELLED, invoice)

    async def _reserve_requested_number(self, session: AsyncSession, number: str) -> None:
        if not await reserve_number(session, number):
            raise InvoiceNumberTaken(f"Invoice number {number} is already used.")

    def _require_draft(self, invoice: Invoice) -> None:
        if invoice.status != DRAFT:
            raise InvoiceNotEditable

    def _check_payment_status(self, payment_status: PaymentStatus | None) -> None:
        if payment_status in (PaymentStatus.PARTIAL, PaymentStatus.REFUNDED):
            raise PaymentStatusNotSettable(
                f"payment_status '{payment_status.value}' follows from recorded payments and "
                "refunds; record a payment or a refund instead."
            )

    def _check_dates(self, issue_date: date, due_date: date | None) -> None:
        if due_date is not None and due_date < issue_date:
            raise InvoiceInvalid("due_date cannot be before issue_date.")

    def _currency(
        self, settings: OperatorSettings, buyer: BuyerContext, requested: str | None
    ) -> str:
        currency = (
            requested
            or (buyer.profile.currency if buyer.profile else None)
            or buyer.tenant.default_currency
            or settings.default_currency
        )
        settings_service.check_currency(settings, currency)
        return currency

    def _line_context(
        self, invoice: Invoice, settings: OperatorSettings, tax_rate_id: uuid.UUID | None
    ) -> LineContext:
        return LineContext(
            tenant_id=invoice.tenant_id,
            currency=invoice.currency,
            default_tax=LineTax.standard(settings.default_tax_rate),
            invoice_tax_rate_id=tax_rate_id,
            destination_tax=destination_tax(
                seller_country=settings.seller.country_code,
                destination=invoice.destination_country or invoice.buyer.get("country_code"),
                buyer_vat_id=invoice.buyer.get("vat_id"),
            ),
        )


def _with_rate(
    inputs: Sequence[LineInput], rate: Decimal | None, *, only_untaxed: bool
) -> list[LineInput]:
    """Seed 003's invoice-level ``tax_rate`` (percent) on the lines that name no tax (or on
    every line, when re-taxing existing ones)."""
    if rate is None:
        return list(inputs)
    return [
        line.model_copy(update={"tax_rate": rate, "tax_category": None, "tax_rate_id": None})
        if not only_untaxed or line.without_tax()
        else line
        for line in inputs
    ]


def _apply_commission(invoice: Invoice, buyer: BuyerContext) -> None:
    """The tenant's reseller and its current commission rate (seed 003)."""
    invoice.reseller_id = buyer.reseller.id if buyer.reseller is not None else None
    invoice.commission_rate = buyer.reseller.commission_rate if buyer.reseller else None


def _inputs_of(lines: Sequence[InvoiceLine]) -> list[LineInput]:
    """Line inputs reproducing existing lines (to re-tax or re-price them)."""
    return [
        LineInput(
            product_id=line.product_id,
            sku=line.sku,
            name=line.name,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            unit_code=line.unit_code,
            variant_info=line.variant_info,
        )
        for line in lines
    ]


invoice = InvoiceService()
