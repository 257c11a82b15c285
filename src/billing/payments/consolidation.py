"""Consolidation: one new invoice for all of a tenant's open unpaid invoices of a currency.

It needs at least two of them (409 otherwise): merging a single invoice would cancel it and
issue a copy under a new number, again on every call.

Only invoices with nothing paid are merged: a partly paid invoice keeps its own payments and
balance (merging it would move money between documents), so it is left as it is and can be
settled with a payment or quick-pay. The new invoice reproduces every line of the originals
(each naming its source invoice) with the originals' document discounts summed; VAT is then
computed once over the merged lines, so its total can differ from the sum of the originals'
totals by rounding (at most one minor unit per VAT group and original). The originals are
cancelled and point to the new invoice; each gets a full credit note naming the new invoice, as
every cancelled issued invoice does. Invoices with credit notes are left out, like partly paid
ones: their remaining amounts no longer match their lines.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth.principal import Principal
from billing.core.clock import utcnow
from billing.core.tenancy import AccessScope
from billing.core.totals import VatCategory
from billing.invoices.credit_notes.service import credit_note as credit_note_service
from billing.invoices.schemas import InvoiceCreate, LineInput
from billing.invoices.service import invoice as invoice_service
from billing.models.invoice import Invoice
from billing.models.states import InvoiceStatus
from billing.payments.errors import NothingToConsolidate
from billing.payments.repository import OpenInvoices
from billing.payments.schemas import ConsolidateRequest
from billing.tenants.service import tenant as tenant_service


async def consolidate(
    session: AsyncSession,
    *,
    scope: AccessScope,
    principal: Principal,
    tenant_id: uuid.UUID,
    body: ConsolidateRequest,
) -> tuple[Invoice, list[uuid.UUID]]:
    """Merge the open unpaid invoices; returns the new invoice and the cancelled ids."""
    tenant = await tenant_service.get(session, scope=scope, tenant_id=tenant_id)
    currency = body.currency or tenant.default_currency
    originals = await OpenInvoices(session, scope).lock_open(tenant.id, currency, unpaid_only=True)
    if len(originals) < 2:
        raise NothingToConsolidate(
            f"Consolidation needs at least two open unpaid {currency} invoices; "
            f"this tenant has {len(originals)}."
        )
    items: list[LineInput] = []
    sources: list[uuid.UUID] = []
    for original in originals:
        for line in original.items:
            category = VatCategory(line.tax_category)
            items.append(
                LineInput(
                    product_id=None,
                    sku=line.sku,
                    name=line.name,
                    description=f"From invoice {original.invoice_number}",
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    unit_code=line.unit_code,
                    tax_rate=line.tax_rate,
                    tax_category=category,
                    tax_exemption_reason_code=line.tax_exemption_reason_code,
                    tax_exemption_reason=line.tax_exemption_reason,
                    variant_info=line.variant_info,
                )
            )
            sources.append(original.id)
    numbers = ", ".join(str(original.invoice_number) for original in originals)
    notes = body.notes or f"Consolidates invoices {numbers}."
    merged = await invoice_service.create(
        session,
        scope=scope,
        principal=principal,
        body=InvoiceCreate(
            tenant_id=tenant.id,
            currency=currency,
            items=items,
            discount_amount=sum((o.discount_amount for o in originals), Decimal(0)),
            status=InvoiceStatus.ISSUED,
            notes=notes,
        ),
    )
    for line, source in zip(merged.items, sources, strict=True):
        line.source_invoice_id = source
    now = utcnow()
    for original in originals:
        await credit_note_service.credit_in_full(
            session,
            scope=scope,
            invoice=original,
            reason=f"Consolidated into invoice {merged.invoice_number}",
            created_by=principal.key,
        )
        original.status = InvoiceStatus.CANCELLED
        original.cancelled_at = now
        original.consolidated_into_id = merged.id
    await session.flush()
    return merged, [original.id for original in originals]
