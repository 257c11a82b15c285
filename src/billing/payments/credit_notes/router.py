"""``POST /api/v1/admin/invoices/{invoice_id}/credit-notes``: issue a credit note."""

from __future__ import annotations

from billing.auth.dependencies import CurrentPrincipal, StaffScope, require
from billing.auth.principal import Permission
from billing.core.envelope import ApiResponse, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.session import Session
from billing.invoices.credit_notes.errors import (
    CreditExceedsBalance,
    CreditExceedsRemaining,
    CreditNoteInvalid,
    InvoiceNotCreditable,
    NothingToCredit,
)
from billing.invoices.credit_notes.presenter import present
from billing.invoices.credit_notes.schemas import CreditNoteCreate, CreditNoteRead
from billing.invoices.dependencies import StaffInvoiceForUpdate
from billing.invoices.errors import InvoiceNotFound
from billing.payments.credit_notes import service
from billing.payments.errors import NothingPaidToReturn, RefundThroughProvider
from billing.routing import TransactionalRoute

router = GatedRouter(tags=["credit-notes"], route_class=TransactionalRoute)


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    name="credit_notes_create",
    status_code=201,
    dependencies=[require(Permission.INVOICES_WRITE), require(Permission.PAYMENTS_WRITE)],
    responses=error_responses(
        InvoiceNotFound,
        InvoiceNotCreditable,
        NothingToCredit,
        CreditExceedsRemaining,
        CreditExceedsBalance,
        NothingPaidToReturn,
        RefundThroughProvider,
        CreditNoteInvalid,
    ),
)
async def create_credit_note(
    body: CreditNoteCreate,
    invoice: StaffInvoiceForUpdate,
    scope: StaffScope,
    principal: CurrentPrincipal,
    session: Session,
) -> ApiResponse[CreditNoteRead]:
    """Issue a credit note (type 381) of an issued invoice: everything that remains, quantities
    of its lines, or net amounts of its VAT groups. It gets its own number and never credits
    more than remains creditable; ``settlement`` reduces the open balance, refunds what was
    paid, or moves it to the tenant's wallet. Crediting everything (and giving back whatever
    was paid) cancels the invoice."""
    credit_note = await service.issue(
        session, scope=scope, principal=principal, invoice=invoice, body=body
    )
    return ApiResponse(data=present(credit_note))
