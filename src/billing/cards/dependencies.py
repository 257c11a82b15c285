"""Path lookups of charging routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from billing.auth.dependencies import TenantScope
from billing.core.session import Session
from billing.invoices.service import invoice as invoice_service
from billing.models.invoice import Invoice


async def get_tenant_invoice_for_update(
    invoice_id: uuid.UUID, scope: TenantScope, session: Session
) -> Invoice:
    """The caller's own invoice, locked so two charges of it cannot run at once (else 404)."""
    return await invoice_service.get(session, scope=scope, invoice_id=invoice_id, for_update=True)


TenantInvoiceForUpdate = Annotated[Invoice, Depends(get_tenant_invoice_for_update)]
