"""Invoice rows -> ``InvoiceRead``: derived status, payment status, balance and breakdown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import inspect
from sqlalchemy.orm.base import NO_VALUE

from billing.core.money import display_decimal, minor_unit, round_money
from billing.invoices.calculation import totals_of
from billing.invoices.repository import OPEN_STATUSES
from billing.invoices.schemas import (
    CashTransactionRead,
    InvoiceLanguage,
    InvoiceLineRead,
    InvoiceRead,
    PaymentStatus,
    TaxBreakdownRead,
)
from billing.models.invoice import Invoice, InvoiceLine
from billing.models.ledger import CashTransaction
from billing.models.states import InvoiceStatus


def balance(invoice: Invoice) -> Decimal:
    """What is still due."""
    return invoice.total_amount - invoice.amount_paid


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
    """Pending, partial, paid or refunded, from the ledger's amounts."""
    if invoice.amount_refunded > 0 and invoice.amount_paid == 0:
        return PaymentStatus.REFUNDED
    if invoice.amount_paid > 0 and invoice.amount_paid >= invoice.total_amount:
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


def present(invoice: Invoice, *, today: date, base_url: str) -> InvoiceRead:
    """The API representation of an invoice (lines must be loaded)."""
    totals = totals_of(invoice, invoice.items)
    currency = invoice.currency

    def money(amount: Decimal) -> Decimal:
        return round_money(amount, currency)

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
        public_id=invoice.public_id,
        public_url=public_url(base_url, invoice.public_id),
        pdf_url=invoice.pdf_url,
        consolidated_into_id=invoice.consolidated_into_id,
        created_at=invoice.created_at,
        updated_at=invoice.updated_at,
    )


def line_read(line: InvoiceLine, currency: str) -> InvoiceLineRead:
    """A line with quantities and prices shown without storage padding."""
    return InvoiceLineRead(
        id=line.id,
        position=line.position,
        product_id=line.product_id,
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
        variant_info=line.variant_info,
        source_invoice_id=line.source_invoice_id,
    )


def _loaded_cash(invoice: Invoice) -> list[CashTransaction]:
    # A just-created invoice has no cash records and never loaded the collection.
    loaded = inspect(invoice).attrs.cash_transactions.loaded_value
    return [] if loaded is NO_VALUE else list(loaded)
