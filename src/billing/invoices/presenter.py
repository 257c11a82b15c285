"""Invoice rows -> ``InvoiceRead``: derived status, payment status, balance and breakdown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TypedDict

from sqlalchemy import inspect
from sqlalchemy.orm.base import NO_VALUE

from billing.core.money import HUNDRED, display_decimal, minor_unit, round_money
from billing.invoices.calculation import totals_of
from billing.invoices.repository import OPEN_STATUSES
from billing.invoices.schemas import (
    CashTransactionRead,
    CreditNoteSummary,
    InvoiceLanguage,
    InvoiceLineRead,
    InvoiceRead,
    PaymentStatus,
    TaxBreakdownRead,
)
from billing.models.credit_note import CreditNote, CreditNoteLine
from billing.models.invoice import Invoice, InvoiceLine
from billing.models.ledger import CashTransaction
from billing.models.states import InvoiceStatus


def balance(invoice: Invoice) -> Decimal:
    """What is still due: the total, less its credit notes, less what was paid; nothing on a
    cancelled invoice (its credit notes may fall short of its total by VAT rounding)."""
    if invoice.status == InvoiceStatus.CANCELLED:
        return Decimal(0)
    return invoice.total_amount - invoice.amount_credited - invoice.amount_paid


def amount_due(invoice: Invoice) -> Decimal:
    """What the invoice asks for after its credit notes (paid or not)."""
    return invoice.total_amount - invoice.amount_credited


def is_overdue(invoice: Invoice, today: date) -> bool:
    """Issued or sent, past its due date, with a balance."""
    return (
        invoice.status in OPEN_STATUSES
        and invoice.due_date is not None
        and invoice.due_date < today
        and balance(invoice) > 0
    )


def effective_status(invoice: Invoice, today: date) -> InvoiceStatus:
    """The stored lifecycle status, or ``overdue`` when it applies."""
    if is_overdue(invoice, today):
        return InvoiceStatus.OVERDUE
    return InvoiceStatus(invoice.status)


def payment_status(invoice: Invoice) -> PaymentStatus:
    """Pending, partial, paid or refunded, from the ledger's amounts.

    Credit notes lower what is due: an invoice whose payments cover the total less its credit
    notes is paid; one whose payments were all given back is refunded.
    """
    if invoice.amount_refunded > 0 and invoice.amount_paid == 0:
        return PaymentStatus.REFUNDED
    if invoice.amount_paid > 0 and invoice.amount_paid >= amount_due(invoice):
        return PaymentStatus.PAID
    if invoice.amount_paid > 0:
        return PaymentStatus.PARTIAL
    return PaymentStatus.PENDING


def language_of(invoice: Invoice) -> InvoiceLanguage:
    """The invoice's language; English for invoices that never chose one."""
    return InvoiceLanguage(invoice.language) if invoice.language else InvoiceLanguage.EN


def public_url(base_url: str, public_id: str) -> str:
    """The unauthenticated page of the invoice (the QR code target)."""
    return f"{base_url.rstrip('/')}/api/v1/public/invoices/{public_id}"


def commission_amount(invoice: Invoice) -> Decimal | None:
    """The reseller's commission on the invoice's net (subtotal less discount), rounded: the
    amount frozen at issue, or what the draft's current rate gives."""
    if invoice.commission_amount is not None:
        return round_money(invoice.commission_amount, invoice.currency)
    if invoice.commission_rate is None:
        return None
    net = invoice.subtotal - invoice.discount_amount
    return round_money(net * invoice.commission_rate / HUNDRED, invoice.currency)


def present(
    invoice: Invoice, *, today: date, base_url: str, show_commission: bool = True
) -> InvoiceRead:
    """The API representation of an invoice (lines must be loaded). Tenants are not shown
    their reseller's commission (``show_commission=False``)."""
    totals = totals_of(invoice, invoice.items)
    currency = invoice.currency

    def money(amount: Decimal) -> Decimal:
        return round_money(amount, currency)

    commission = show_commission and invoice.reseller_id is not None

    return InvoiceRead(
        id=invoice.id,
        tenant_id=invoice.tenant_id,
        invoice_number=invoice.invoice_number,
        status=effective_status(invoice, today),
        payment_status=payment_status(invoice),
        currency=invoice.currency,
        subtotal=money(invoice.subtotal),
        discount_amount=money(invoice.discount_amount),
        tax_amount=money(invoice.tax_amount),
        total_amount=money(invoice.total_amount),
        amount_paid=money(invoice.amount_paid),
        amount_refunded=money(invoice.amount_refunded),
        amount_credited=money(invoice.amount_credited),
        balance=money(balance(invoice)),
        payment_method=invoice.payment_method,
        payment_reference=invoice.payment_reference,
        paid_at=invoice.paid_at,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        issued_at=invoice.issued_at,
        cancelled_at=invoice.cancelled_at,
        notes=invoice.notes,
        language=language_of(invoice),
        payment_terms=invoice.payment_terms,
        destination_country=invoice.destination_country,
        buyer_reference=invoice.buyer_reference,
        purchase_order_reference=invoice.purchase_order_reference,
        customer_name=invoice.buyer.get("name"),
        customer=invoice.buyer,
        seller=invoice.seller,
        items=[line_read(line, currency) for line in invoice.items],
        tax_breakdown=[
            TaxBreakdownRead(
                category=group.category.value,
                rate=group.rate,
                taxable_amount=money(group.taxable_amount),
                tax_amount=money(group.tax_amount),
            )
            for group in totals.groups
        ],
        cash_transactions=[
            CashTransactionRead.model_validate(cash) for cash in _loaded_cash(invoice)
        ],
        credit_notes=[
            CreditNoteSummary.model_validate(credit_note)
            for credit_note in loaded_credit_notes(invoice)
        ],
        public_id=invoice.public_id,
        public_url=public_url(base_url, invoice.public_id),
        pdf_url=invoice.pdf_url,
        consolidated_into_id=invoice.consolidated_into_id,
        reseller_id=invoice.reseller_id if commission else None,
        commission_rate=(
            display_decimal(invoice.commission_rate, min_places=2)
            if commission and invoice.commission_rate is not None
            else None
        ),
        commission_amount=commission_amount(invoice) if commission else None,
        created_at=invoice.created_at,
        updated_at=invoice.updated_at,
    )


def line_read(line: InvoiceLine, currency: str) -> InvoiceLineRead:
    """A line with quantities and prices shown without storage padding."""
    return InvoiceLineRead(
        id=line.id,
        position=line.position,
        product_id=line.product_id,
        **line_display(line, currency),
        variant_info=line.variant_info,
        source_invoice_id=line.source_invoice_id,
    )


class LineDisplay(TypedDict):
    """What invoice and credit note lines show alike, as the API displays it."""

    sku: str | None
    name: str
    description: str | None
    quantity: Decimal
    unit_code: str
    unit_price: Decimal
    tax_rate: Decimal
    tax_category: str
    tax_exemption_reason_code: str | None
    tax_exemption_reason: str | None
    line_total: Decimal


def line_display(line: InvoiceLine | CreditNoteLine, currency: str) -> LineDisplay:
    """The line's product, quantity and price without storage padding, its VAT and total."""
    return LineDisplay(
        sku=line.sku,
        name=line.name,
        description=line.description,
        quantity=display_decimal(line.quantity),
        unit_code=line.unit_code,
        unit_price=display_decimal(line.unit_price, min_places=minor_unit(currency)),
        tax_rate=display_decimal(line.tax_rate, min_places=2),
        tax_category=line.tax_category,
        tax_exemption_reason_code=line.tax_exemption_reason_code,
        tax_exemption_reason=line.tax_exemption_reason,
        line_total=round_money(line.line_total, currency),
    )


def loaded_credit_notes(invoice: Invoice) -> list[CreditNote]:
    """The invoice's credit notes when they were loaded (a new invoice never loads them)."""
    loaded = inspect(invoice).attrs.credit_notes.loaded_value
    return [] if loaded is NO_VALUE else list(loaded)


def _loaded_cash(invoice: Invoice) -> list[CashTransaction]:
    # A just-created invoice has no cash records and never loaded the collection.
    loaded = inspect(invoice).attrs.cash_transactions.loaded_value
    return [] if loaded is NO_VALUE else list(loaded)
