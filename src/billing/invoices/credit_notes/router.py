"""Reading credit notes: staff (``/api/v1/admin/credit-notes``) and tenants
(``/api/v1/billing/credit-notes``). Credit notes are issued through
``POST /api/v1/admin/invoices/{invoice_id}/credit-notes`` (``billing.payments.credit_notes``),
by cancelling an issued invoice, or by a refund with ``credit_note: true``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from billing.auth.dependencies import StaffScope, TenantScope, require
from billing.auth.principal import Permission
from billing.core.envelope import ApiResponse, ListResponse, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.pagination import Page
from billing.core.schemas import IsoDate
from billing.core.session import Session
from billing.core.tenancy import AccessScope
from billing.invoices.credit_notes.errors import CreditNoteNotFound
from billing.invoices.credit_notes.presenter import present
from billing.invoices.credit_notes.repository import CreditNoteFilters
from billing.invoices.credit_notes.schemas import CreditNoteRead
from billing.invoices.credit_notes.service import credit_note as credit_note_service
from billing.routing import TransactionalRoute

admin_router = GatedRouter(
    prefix="/credit-notes", tags=["credit-notes"], route_class=TransactionalRoute
)
tenant_router = GatedRouter(
    prefix="/credit-notes", tags=["billing-credit-notes"], route_class=TransactionalRoute
)

NOT_FOUND = error_responses(CreditNoteNotFound)


async def _page(
    session: Session, scope: AccessScope, page: Page, filters: CreditNoteFilters
) -> ListResponse[CreditNoteRead]:
    result = await credit_note_service.list(session, scope=scope, filters=filters, page=page)
    return ListResponse.from_page(result, page=page, read=present)


@admin_router.get("", name="credit_notes_list", dependencies=[require(Permission.INVOICES_READ)])
async def list_credit_notes(
    scope: StaffScope,
    session: Session,
    page: Page,
    invoice_id: uuid.UUID | None = None,
    tenant_id: uuid.UUID | None = None,
    date_from: Annotated[IsoDate | None, Query(description="Issue date from (inclusive).")] = None,
    date_to: Annotated[IsoDate | None, Query(description="Issue date to (inclusive).")] = None,
) -> ListResponse[CreditNoteRead]:
    """Credit notes, newest first; filter by invoice, tenant or issue date."""
    filters = CreditNoteFilters(
        invoice_id=invoice_id, tenant_id=tenant_id, date_from=date_from, date_to=date_to
    )
    return await _page(session, scope, page, filters)


@admin_router.get(
    "/{credit_note_id}",
    name="credit_notes_get",
    dependencies=[require(Permission.INVOICES_READ)],
    responses=NOT_FOUND,
)
async def get_credit_note(
    credit_note_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[CreditNoteRead]:
    """One credit note with its lines, VAT breakdown and what happened to the money."""
    found = await credit_note_service.get(session, scope=scope, credit_note_id=credit_note_id)
    return ApiResponse(data=present(found))


@tenant_router.get(
    "", name="billing_credit_notes_list", dependencies=[require(Permission.BILLING_READ)]
)
async def list_my_credit_notes(
    scope: TenantScope,
    session: Session,
    page: Page,
    invoice_id: uuid.UUID | None = None,
) -> ListResponse[CreditNoteRead]:
    """The caller's credit notes, newest first (optionally of one invoice)."""
    return await _page(session, scope, page, CreditNoteFilters(invoice_id=invoice_id))


@tenant_router.get(
    "/{credit_note_id}",
    name="billing_credit_notes_get",
    dependencies=[require(Permission.BILLING_READ)],
    responses=NOT_FOUND,
)
async def get_my_credit_note(
    credit_note_id: uuid.UUID, scope: TenantScope, session: Session
) -> ApiResponse[CreditNoteRead]:
    """One of the caller's credit notes."""
    found = await credit_note_service.get(session, scope=scope, credit_note_id=credit_note_id)
    return ApiResponse(data=present(found))
