"""Admin routes of payment accounts (``/api/v1/admin/payment-accounts``).

Staff with ``settings:read`` read them; changing them takes ``settings:write`` (admins).
"""

from __future__ import annotations

import uuid

from billing.auth.dependencies import StaffScope, require
from billing.auth.principal import Permission
from billing.core.envelope import ApiResponse, ListResponse, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.pagination import Page
from billing.core.session import Session
from billing.payments.accounts.errors import (
    PaymentAccountIdentifierTaken,
    PaymentAccountInUse,
    PaymentAccountNotFound,
)
from billing.payments.accounts.schemas import (
    PaymentAccountCreate,
    PaymentAccountDeleted,
    PaymentAccountRead,
    PaymentAccountUpdate,
)
from billing.payments.accounts.service import payment_account as account_service
from billing.routing import TransactionalRoute

router = GatedRouter(
    prefix="/payment-accounts", tags=["payment-accounts"], route_class=TransactionalRoute
)
Reads = [require(Permission.SETTINGS_READ)]
Writes = [require(Permission.SETTINGS_WRITE)]


@router.post(
    "",
    name="payment_accounts_create",
    status_code=201,
    dependencies=Writes,
    responses=error_responses(PaymentAccountIdentifierTaken),
)
async def create_payment_account(
    body: PaymentAccountCreate, scope: StaffScope, session: Session
) -> ApiResponse[PaymentAccountRead]:
    """Create a payment account: its identifier, currency and the methods payers may use."""
    created = await account_service.create(session, body=body)
    return ApiResponse(data=PaymentAccountRead.model_validate(created))


@router.get("", name="payment_accounts_list", dependencies=Reads)
async def list_payment_accounts(
    scope: StaffScope, session: Session, page: Page, active: bool | None = None
) -> ListResponse[PaymentAccountRead]:
    """List payment accounts by identifier."""
    result = await account_service.list(session, active=active, page=page)
    return ListResponse.from_page(result, page=page, read=PaymentAccountRead.model_validate)


@router.get(
    "/{account_id}",
    name="payment_accounts_get",
    dependencies=Reads,
    responses=error_responses(PaymentAccountNotFound),
)
async def get_payment_account(
    account_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[PaymentAccountRead]:
    """One payment account."""
    found = await account_service.get(session, account_id=account_id)
    return ApiResponse(data=PaymentAccountRead.model_validate(found))


@router.patch(
    "/{account_id}",
    name="payment_accounts_update",
    dependencies=Writes,
    responses=error_responses(PaymentAccountNotFound, PaymentAccountIdentifierTaken),
)
async def update_payment_account(
    account_id: uuid.UUID, body: PaymentAccountUpdate, scope: StaffScope, session: Session
) -> ApiResponse[PaymentAccountRead]:
    """Change an account; fields left out keep their values. Existing invoices keep their
    currency; the methods their pages offer follow the account."""
    updated = await account_service.update(session, account_id=account_id, body=body)
    return ApiResponse(data=PaymentAccountRead.model_validate(updated))


@router.delete(
    "/{account_id}",
    name="payment_accounts_delete",
    dependencies=Writes,
    responses=error_responses(PaymentAccountNotFound, PaymentAccountInUse),
)
async def delete_payment_account(
    account_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[PaymentAccountDeleted]:
    """Delete an account no invoice was created on (409: deactivate it instead)."""
    await account_service.delete(session, account_id=account_id)
    return ApiResponse(data=PaymentAccountDeleted(id=account_id))
