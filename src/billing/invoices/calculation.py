"""Applying the totals engine to invoice rows (the only place invoice totals are written)."""

from __future__ import annotations

from collections.abc import Sequence

from billing.core.totals import TaxableLine, Totals, TotalsError, VatCategory, compute_totals
from billing.invoices.errors import InvoiceInvalid
from billing.models.invoice import Invoice, InvoiceLine


def totals_of(invoice: Invoice, lines: Sequence[InvoiceLine]) -> Totals:
    """The EN 16931 totals of ``lines`` with the invoice's discount."""
    try:
        return compute_totals(
            [
                TaxableLine(
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    category=VatCategory(line.tax_category),
                    rate=line.tax_rate,
                )
                for line in lines
            ],
            currency=invoice.currency,
            discount=invoice.discount_amount,
        )
    except TotalsError as exc:
        raise InvoiceInvalid(str(exc)) from exc


def recalculate(invoice: Invoice, lines: Sequence[InvoiceLine]) -> Totals:
    """Write line nets and invoice totals from ``lines``."""
    totals = totals_of(invoice, lines)
    for line, net in zip(lines, totals.line_nets, strict=True):
        line.line_total = net
    invoice.subtotal = totals.line_total
    invoice.discount_amount = totals.allowance_total
    invoice.tax_amount = totals.tax_total
    invoice.total_amount = totals.tax_inclusive
    return totals
