"""Dependencies of the delivery routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from billing.auth.dependencies import StaffScope, TenantScope
from billing.core.errors import Forbidden
from billing.core.session import Session
from billing.core.tenancy import ScopeKind
from billing.invoices.service import invoice as invoice_service
from billing.models.invoice import Invoice


async def operator_only(scope: StaffScope) -> None:
    """Webhook endpoints are the operator's own integration: staff of the operator only."""
    if scope.kind is not ScopeKind.ADMIN:
        raise Forbidden("Webhook endpoints are managed by operator staff only.")


async def get_tenant_invoice_for_update(
    invoice_id: uuid.UUID, scope: TenantScope, session: Session
) -> Invoice:
    """The caller's own invoice, locked for this transaction (another tenant's is 404)."""
    return await invoice_service.get(session, scope=scope, invoice_id=invoice_id, for_update=True)


TenantInvoiceForUpdate = Annotated[Invoice, Depends(get_tenant_invoice_for_update)]
