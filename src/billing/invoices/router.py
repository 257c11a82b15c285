"""Invoice routes: admin (``/api/v1/admin/invoices``) and tenant (``/api/v1/billing/invoices``)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Annotated, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from billing.auth.dependencies import CurrentPrincipal, StaffScope, TenantScope, require
from billing.auth.principal import Permission
from billing.core.envelope import ApiResponse, ListResponse, error_responses
from billing.core.errors import Unprocessable
from billing.core.gated_router import GatedRouter
from billing.core.pagination import Page
from billing.core.schemas import CurrencyCode, IsoDate
from billing.core.session import Session
from billing.invoices.credit_notes.errors import InvoiceNotCreditable
from billing.invoices.dependencies import (
    PresentationDep,
    StaffInvoice,
    StaffInvoiceForUpdate,
    TenantInvoice,
    TenantPresentationDep,
)
from billing.invoices.errors import (
    CurrencyNotEnabled,
    InvalidStatusTransition,
    InvoiceCancelled,
    InvoiceInvalid,
    InvoiceItemNotFound,
    InvoiceNotDeletable,
    InvoiceNotEditable,
    InvoiceNotFound,
    InvoiceNumberTaken,
    PaymentStatusNotSettable,
    SellerIncomplete,
)
from billing.invoices.ports import Recorder
from billing.invoices.repository import SORTABLE, InvoiceFilters
from billing.invoices.schemas import (
    CancelRequest,
    InvoiceCreate,
    InvoiceRead,
    InvoiceUpdate,
    LineInput,
    PaymentStatus,
    StatusFilterInput,
    StatusUpdate,
)
from billing.invoices.service import invoice as invoice_service
from billing.models.states import InvoiceStatus
from billing.routing import TransactionalRoute
from billing.settings.errors import PaymentMethodNotEnabled
from billing.tenants.errors import TenantNotFound

admin_router = GatedRouter(prefix="/invoices", tags=["invoices"], route_class=TransactionalRoute)
tenant_router = GatedRouter(
    prefix="/invoices", tags=["billing-invoices"], route_class=TransactionalRoute
)

T = TypeVar("T")

Reads = [require(Permission.INVOICES_READ)]
Writes = [require(Permission.INVOICES_WRITE)]


SORT_CHOICES = tuple(sign + name for name in SORTABLE for sign in ("-", ""))
"""The values ``sort`` takes: a sortable field, descending with ``-`` first."""


def _filters(
    presentation: PresentationDep,
    status: Annotated[
        StatusFilterInput | None,
        Query(
            description="Effective status; seed 003's pending (open, nothing paid) and partial "
            "(open, partly paid) too; void is cancelled."
        ),
    ] = None,
    payment_status: PaymentStatus | None = None,
    payment_method: Annotated[str | None, Query(max_length=30)] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Invoice number, notes, customer name or the tenant's name.",
        ),
    ] = None,
    search: Annotated[str | None, Query(max_length=200, description="Alias of q (seed 003).")] = (
        None
    ),
    date_from: Annotated[IsoDate | None, Query(description="Issue date from (inclusive).")] = None,
    date_to: Annotated[IsoDate | None, Query(description="Issue date to (inclusive).")] = None,
    from_: Annotated[IsoDate | None, Query(alias="from", description="Alias of date_from.")] = None,
    to: Annotated[IsoDate | None, Query(description="Alias of date_to.")] = None,
    tenant_id: uuid.UUID | None = None,
    subscriber_id: Annotated[
        uuid.UUID | None, Query(description="Alias of tenant_id (seed 003).")
    ] = None,
    reseller_id: uuid.UUID | None = None,
    currency: Annotated[CurrencyCode | None, Query()] = None,
    sort: Annotated[
        str,
        Query(
            description="Field, '-' prefix for descending.",
            json_schema_extra={"enum": list(SORT_CHOICES)},
        ),
    ] = "-issue_date",
) -> InvoiceFilters:
    # Checked here rather than by a Literal, to keep the message that lists the fields.
    if sort not in SORT_CHOICES:
        raise Unprocessable(f"sort must be one of {', '.join(SORTABLE)} (optionally '-' first)")
    text = _one_of("q", q, "search", search)
    tenant = _one_of("tenant_id", tenant_id, "subscriber_id", subscriber_id)
    return InvoiceFilters(
        today=presentation.today,
        status=status,
        payment_status=payment_status,
        payment_method=payment_method,
        q=text,
        date_from=_one_of("date_from", date_from, "from", from_),
        date_to=_one_of("date_to", date_to, "to", to),
        tenant_id=tenant,
        reseller_id=reseller_id,
        currency=currency,
        sort=sort,
    )


def _one_of(name: str, value: T | None, alias: str, alias_value: T | None) -> T | None:
    """A filter given under its name or its alias; both, with different values, is 422."""
    if value is not None and alias_value is not None and value != alias_value:
        raise Unprocessable(f"{name} and {alias} disagree; send one of them.")
    return value if value is not None else alias_value


Filters = Annotated[InvoiceFilters, Depends(_filters)]
NOT_FOUND = error_responses(InvoiceNotFound)


async def _page(
    session: Session,
    scope: StaffScope,
    page: Page,
    presentation: PresentationDep,
    filters: InvoiceFilters,
) -> ListResponse[InvoiceRead]:
    result = await invoice_service.list(session, scope=scope, filters=filters, page=page)
    return ListResponse.from_page(result, page=page, read=presentation.read)


@admin_router.get("", name="invoices_list", dependencies=Reads)
async def list_invoices(
    session: Session, scope: StaffScope, page: Page, presentation: PresentationDep, filters: Filters
) -> ListResponse[InvoiceRead]:
    """List invoices with filters, sorting and pagination."""
    return await _page(session, scope, page, presentation, filters)


@admin_router.get("/pending", name="invoices_list_pending", dependencies=Reads)
async def list_pending_invoices(
    session: Session, scope: StaffScope, page: Page, presentation: PresentationDep, filters: Filters
) -> ListResponse[InvoiceRead]:
    """Issued, sent or overdue invoices with a balance (open receivables)."""
    return await _page(session, scope, page, presentation, replace(filters, open_only=True))


@admin_router.get("/overdue", name="invoices_list_overdue", dependencies=Reads)
async def list_overdue_invoices(
    session: Session, scope: StaffScope, page: Page, presentation: PresentationDep, filters: Filters
) -> ListResponse[InvoiceRead]:
    """Invoices past their due date with a balance."""
    overdue = replace(filters, status=InvoiceStatus.OVERDUE)
    return await _page(session, scope, page, presentation, overdue)


@admin_router.get("/paid", name="invoices_list_paid", dependencies=Reads)
async def list_paid_invoices(
    session: Session, scope: StaffScope, page: Page, presentation: PresentationDep, filters: Filters
) -> ListResponse[InvoiceRead]:
    """Fully paid invoices."""
    paid = replace(filters, status=InvoiceStatus.PAID)
    return await _page(session, scope, page, presentation, paid)


_CREATE_ERRORS = error_responses(
    TenantNotFound,
    InvoiceNumberTaken,
    InvoiceInvalid,
    CurrencyNotEnabled,
    PaymentMethodNotEnabled,
    PaymentStatusNotSettable,
    SellerIncomplete,
)


@admin_router.post(
    "", name="invoices_create", status_code=201, dependencies=Writes, responses=_CREATE_ERRORS
)
async def create_invoice(
    body: InvoiceCreate,
    scope: StaffScope,
    principal: CurrentPrincipal,
    session: Session,
    presentation: PresentationDep,
    recorder: Recorder,
) -> ApiResponse[InvoiceRead]:
    """Create an invoice (a draft unless another status is asked for)."""
    created = await invoice_service.create(
        session, scope=scope, principal=principal, body=body, recorder=recorder
    )
    return ApiResponse(data=presentation.read(created))


@admin_router.get("/{invoice_id}", name="invoices_get", dependencies=Reads, responses=NOT_FOUND)
async def get_invoice(
    invoice: StaffInvoice, presentation: PresentationDep
) -> ApiResponse[InvoiceRead]:
    """One invoice with its lines, totals and payment summary."""
    return ApiResponse(data=presentation.read(invoice))


@admin_router.put(
    "/{invoice_id}",
    name="invoices_update",
    dependencies=Writes,
    responses=error_responses(
        InvoiceNotFound, InvoiceNotEditable, InvoiceInvalid, CurrencyNotEnabled
    ),
)
async def update_invoice(
    body: InvoiceUpdate,
    invoice: StaffInvoiceForUpdate,
    scope: StaffScope,
    session: Session,
    presentation: PresentationDep,
) -> ApiResponse[InvoiceRead]:
    """Change a draft invoice (409 once issued)."""
    updated = await invoice_service.update(session, scope=scope, invoice=invoice, body=body)
    return ApiResponse(data=presentation.read(updated))


@admin_router.patch(
    "/{invoice_id}/status",
    name="invoices_update_status",
    dependencies=Writes,
    responses=error_responses(
        InvoiceNotFound,
        InvalidStatusTransition,
        InvoiceCancelled,
        InvoiceNotEditable,
        InvoiceInvalid,
        PaymentMethodNotEnabled,
        PaymentStatusNotSettable,
        SellerIncomplete,
    ),
)
async def update_invoice_status(
    body: StatusUpdate,
    invoice: StaffInvoiceForUpdate,
    scope: StaffScope,
    principal: CurrentPrincipal,
    session: Session,
    presentation: PresentationDep,
    recorder: Recorder,
) -> ApiResponse[InvoiceRead]:
    """Change status, payment status, method or reference; 'paid' records a settling payment."""
    updated = await invoice_service.update_status(
        session, scope=scope, principal=principal, invoice=invoice, body=body, recorder=recorder
    )
    return ApiResponse(data=presentation.read(updated))


@admin_router.post(
    "/{invoice_id}/items",
    name="invoices_add_item",
    status_code=201,
    dependencies=Writes,
    responses=error_responses(InvoiceNotFound, InvoiceNotEditable, InvoiceInvalid),
)
async def add_invoice_item(
    body: LineInput,
    invoice: StaffInvoiceForUpdate,
    scope: StaffScope,
    session: Session,
    presentation: PresentationDep,
) -> ApiResponse[InvoiceRead]:
    """Add a line to a draft invoice."""
    updated = await invoice_service.add_item(session, scope=scope, invoice=invoice, body=body)
    return ApiResponse(data=presentation.read(updated))


@admin_router.delete(
    "/{invoice_id}/items/{item_id}",
    name="invoices_remove_item",
    dependencies=Writes,
    responses=error_responses(InvoiceNotFound, InvoiceItemNotFound, InvoiceNotEditable),
)
async def remove_invoice_item(
    item_id: uuid.UUID,
    invoice: StaffInvoiceForUpdate,
    scope: StaffScope,
    session: Session,
    presentation: PresentationDep,
) -> ApiResponse[InvoiceRead]:
    """Remove a line from a draft invoice."""
    updated = await invoice_service.remove_item(
        session, scope=scope, invoice=invoice, item_id=item_id
    )
    return ApiResponse(data=presentation.read(updated))


@admin_router.post(
    "/{invoice_id}/issue",
    name="invoices_issue",
    dependencies=Writes,
    responses=error_responses(
        InvoiceNotFound, InvalidStatusTransition, InvoiceInvalid, SellerIncomplete
    ),
)
async def issue_invoice(
    invoice: StaffInvoiceForUpdate,
    scope: StaffScope,
    session: Session,
    presentation: PresentationDep,
) -> ApiResponse[InvoiceRead]:
    """Issue a draft: allocate its number and freeze its content, buyer and seller."""
    issued = await invoice_service.issue(session, scope=scope, invoice=invoice)
    return ApiResponse(data=presentation.read(issued))


_CANCEL_ERRORS = error_responses(InvoiceNotFound, InvalidStatusTransition, InvoiceNotCreditable)


@admin_router.put(
    "/{invoice_id}/cancel", name="invoices_cancel", dependencies=Writes, responses=_CANCEL_ERRORS
)
async def cancel_invoice(
    invoice: StaffInvoiceForUpdate,
    scope: StaffScope,
    principal: CurrentPrincipal,
    session: Session,
    presentation: PresentationDep,
    body: CancelRequest | None = None,
) -> ApiResponse[InvoiceRead]:
    """Cancel an unpaid invoice; it keeps its number, and an issued one gets a full credit
    note (listed in ``credit_notes``) whose reason is ``reason``."""
    cancelled = await invoice_service.cancel(
        session,
        scope=scope,
        principal=principal,
        invoice=invoice,
        reason=body.reason if body else None,
    )
    return ApiResponse(data=presentation.read(cancelled))


@admin_router.post(
    "/{invoice_id}/void", name="invoices_void", dependencies=Writes, responses=_CANCEL_ERRORS
)
async def void_invoice(
    invoice: StaffInvoiceForUpdate,
    scope: StaffScope,
    principal: CurrentPrincipal,
    session: Session,
    presentation: PresentationDep,
    body: CancelRequest | None = None,
) -> ApiResponse[InvoiceRead]:
    """Void an unpaid invoice (same as cancel, full credit note included)."""
    voided = await invoice_service.cancel(
        session,
        scope=scope,
        principal=principal,
        invoice=invoice,
        reason=body.reason if body else None,
    )
    return ApiResponse(data=presentation.read(voided))


class DeletedInvoice(BaseModel):
    """What was deleted."""

    id: uuid.UUID
    deleted: bool = True


@admin_router.delete(
    "/{invoice_id}",
    name="invoices_delete",
    dependencies=[require(Permission.INVOICES_DELETE)],
    responses=error_responses(InvoiceNotFound, InvoiceNotDeletable),
)
async def delete_invoice(
    invoice: StaffInvoiceForUpdate, scope: StaffScope, session: Session
) -> ApiResponse[DeletedInvoice]:
    """Delete a draft (admins only); paid or numbered invoices answer 409."""
    invoice_id = invoice.id
    await invoice_service.delete(session, scope=scope, invoice=invoice)
    return ApiResponse(data=DeletedInvoice(id=invoice_id))


@tenant_router.get(
    "", name="billing_invoices_list", dependencies=[require(Permission.BILLING_READ)]
)
async def list_my_invoices(
    scope: TenantScope,
    session: Session,
    page: Page,
    presentation: TenantPresentationDep,
    status: Annotated[
        StatusFilterInput | None, Query(description="As on the staff list (pending, partial...).")
    ] = None,
) -> ListResponse[InvoiceRead]:
    """The caller's invoices, newest first."""
    filters = InvoiceFilters(today=presentation.today, status=status)
    result = await invoice_service.list(session, scope=scope, filters=filters, page=page)
    return ListResponse.from_page(result, page=page, read=presentation.read)


@tenant_router.get(
    "/{invoice_id}",
    name="billing_invoices_get",
    dependencies=[require(Permission.BILLING_READ)],
    responses=NOT_FOUND,
)
async def get_my_invoice(
    invoice: TenantInvoice, presentation: TenantPresentationDep
) -> ApiResponse[InvoiceRead]:
    """One of the caller's invoices with its lines."""
    return ApiResponse(data=presentation.read(invoice))
