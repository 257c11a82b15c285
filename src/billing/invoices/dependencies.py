"""Path lookups and per-request presentation context for invoice routes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated

from fastapi import Depends, Request

from billing.auth.dependencies import StaffScope, TenantScope
from billing.core.clock import today_in
from billing.core.session import Session
from billing.invoices.presenter import present
from billing.invoices.schemas import InvoiceRead
from billing.invoices.service import invoice as invoice_service
from billing.models.invoice import Invoice
from billing.settings.service import settings as settings_service


@dataclass(frozen=True, slots=True)
class Presentation:
    """Today's date in the operator's zone and the public base URL."""

    today: date
    base_url: str
    staff: bool = True

    def read(self, invoice: Invoice) -> InvoiceRead:
        """The API representation of ``invoice`` (commission shown to staff only)."""
        return present(
            invoice, today=self.today, base_url=self.base_url, show_commission=self.staff
        )


async def get_presentation(request: Request, session: Session) -> Presentation:
    """Read the settings once per request."""
    current = await settings_service.get(session)
    base_url = current.public_base_url or request.app.state.settings.public_base_url
    return Presentation(today=today_in(current.timezone), base_url=base_url)


async def get_staff_invoice(invoice_id: uuid.UUID, scope: StaffScope, session: Session) -> Invoice:
    """The invoice, if the staff scope sees it (else 404); read without a lock."""
    return await invoice_service.get(session, scope=scope, invoice_id=invoice_id)


async def get_staff_invoice_for_update(
    invoice_id: uuid.UUID, scope: StaffScope, session: Session
) -> Invoice:
    """The invoice, locked for this transaction (routes that change it), else 404."""
    return await invoice_service.get(session, scope=scope, invoice_id=invoice_id, for_update=True)


async def get_tenant_invoice(
    invoice_id: uuid.UUID, scope: TenantScope, session: Session
) -> Invoice:
    """The caller's own invoice (another tenant's is 404)."""
    return await invoice_service.get(session, scope=scope, invoice_id=invoice_id)


PresentationDep = Annotated[Presentation, Depends(get_presentation)]


async def get_tenant_presentation(presentation: PresentationDep) -> Presentation:
    """The presentation for a tenant principal: no reseller commission."""
    return replace(presentation, staff=False)


TenantPresentationDep = Annotated[Presentation, Depends(get_tenant_presentation)]
StaffInvoice = Annotated[Invoice, Depends(get_staff_invoice)]
StaffInvoiceForUpdate = Annotated[Invoice, Depends(get_staff_invoice_for_update)]
TenantInvoice = Annotated[Invoice, Depends(get_tenant_invoice)]
