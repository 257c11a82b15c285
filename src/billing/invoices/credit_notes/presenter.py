"""Credit note rows -> ``CreditNoteRead``."""

from __future__ import annotations

from decimal import Decimal

from billing.core.money import round_money
from billing.invoices.credit_notes.planning import note_totals
from billing.invoices.credit_notes.schemas import CreditNoteLineRead, CreditNoteRead
from billing.invoices.presenter import line_display
from billing.invoices.schemas import CreditNoteKind, CreditNoteSettlement, TaxBreakdownRead
from billing.models.credit_note import CreditNote, CreditNoteLine


def present(credit_note: CreditNote) -> CreditNoteRead:
    """The API representation of a credit note (its lines must be loaded)."""
    currency = credit_note.currency

    def money(amount: Decimal) -> Decimal:
        return round_money(amount, currency)

    totals = note_totals(credit_note)
    return CreditNoteRead(
        id=credit_note.id,
        tenant_id=credit_note.tenant_id,
        invoice_id=credit_note.invoice_id,
        invoice_number=credit_note.invoice_number,
        invoice_issue_date=credit_note.invoice_issue_date,
        credit_note_number=credit_note.credit_note_number,
        kind=CreditNoteKind(credit_note.kind),
        reason=credit_note.reason,
        currency=currency,
        issue_date=credit_note.issue_date,
        subtotal=money(credit_note.subtotal),
        discount_amount=money(credit_note.discount_amount),
        tax_amount=money(credit_note.tax_amount),
        total_amount=money(credit_note.total_amount),
        settlement=CreditNoteSettlement(credit_note.settlement),
        balance_reduction=money(credit_note.balance_reduction),
        refunded_amount=money(credit_note.refunded_amount),
        wallet_amount=money(credit_note.wallet_amount),
        items=[line_read(line, currency) for line in credit_note.items],
        tax_breakdown=[
            TaxBreakdownRead(
                category=group.category.value,
                rate=group.rate,
                taxable_amount=group.taxable_amount,
                tax_amount=group.tax_amount,
            )
            for group in totals.groups
        ],
        customer_name=credit_note.buyer.get("name"),
        created_by=credit_note.created_by,
        created_at=credit_note.created_at,
    )


def line_read(line: CreditNoteLine, currency: str) -> CreditNoteLineRead:
    """A credited line without storage padding."""
    return CreditNoteLineRead(
        id=line.id,
        position=line.position,
        invoice_item_id=line.invoice_line_id,
        **line_display(line, currency),
    )
