"""Seed 004's routes (``/api/v1/payments/invoices``) and the operator's views of payment
links (``/api/v1/admin/payment-links``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Query
from pydantic import Field

from billing.auth.dependencies import Merchant, StaffScope, merchant_scope, require
from billing.auth.principal import Permission
from billing.core.clock import utcnow
from billing.core.envelope import ListResponse
from billing.core.errors import Forbidden, Unauthorized
from billing.core.gated_router import GatedRouter
from billing.core.pagination import Page
from billing.core.schemas import MoneyString, ReadSchema
from billing.core.session import Session
from billing.idempotency import IdempotencyKeyInUse, IdempotencyKeyMismatch
from billing.invoices.dependencies import PresentationDep
from billing.invoices.errors import CurrencyNotEnabled, InvoiceInvalid, SellerIncomplete
from billing.invoices.presenter import public_url
from billing.payments.links.envelope import SeedRoute, seed_error_responses
from billing.payments.links.errors import (
    BadCustomerContact,
    BadDescription,
    BadExpirationDate,
    BadLanguage,
    BadProduct,
    DuplicateTransactionId,
    InvalidRequest,
    PaymentAccountMissing,
    PaymentAccountNotFound,
    PaymentInvoiceNotFound,
    ProductMissing,
    ProductNotFound,
    TenantMissing,
    TenantNotFound,
    TransactionIdMissing,
    UnknownField,
    UnsupportedApiVersion,
)
from billing.payments.links.guard import is_expired
from billing.payments.links.notifications import PaymentLinkNotifier, get_payment_link_notifier
from billing.payments.links.repository import LinkSummary
from billing.payments.links.schemas import (
    PaymentInvoiceCreate,
    PaymentInvoiceResponse,
    printable,
)
from billing.payments.links.service import LinkedInvoice, present
from billing.payments.links.service import payment_link as link_service
from billing.routing import TransactionalRoute

router = GatedRouter(prefix="/payments/invoices", tags=["payment-links"], route_class=SeedRoute)
admin_router = GatedRouter(
    prefix="/payment-links", tags=["payment-links"], route_class=TransactionalRoute
)

SUPPORTED_API_VERSIONS = frozenset({"2"})


async def check_api_version(
    x_api_version: Annotated[
        str | None,
        Header(
            alias="X-API-Version",
            description="Seed 004's API version: 2 (optional).",
            examples=["2"],
            json_schema_extra={"enum": sorted(SUPPORTED_API_VERSIONS)},
        ),
    ] = None,
) -> None:
    """Accept ``X-API-Version: 2`` or no version header."""
    if x_api_version is not None and x_api_version.strip() not in SUPPORTED_API_VERSIONS:
        raise UnsupportedApiVersion


MerchantWrites = Annotated[Merchant, merchant_scope(write=True)]
MerchantReads = Annotated[Merchant, merchant_scope(write=False)]
Notifier = Annotated[PaymentLinkNotifier | None, Depends(get_payment_link_notifier)]
Versioned = [Depends(check_api_version)]

_AUTH = (Unauthorized, Forbidden)
CREATE_ERRORS = seed_error_responses(
    {
        400: (
            TransactionIdMissing,
            DuplicateTransactionId,
            ProductMissing,
            BadProduct,
            PaymentAccountMissing,
            BadExpirationDate,
            BadLanguage,
            BadCustomerContact,
            PaymentAccountNotFound,
            ProductNotFound,
            BadDescription,
            UnknownField,
            TenantMissing,
            TenantNotFound,
            InvalidRequest,
            UnsupportedApiVersion,
            CurrencyNotEnabled,
        ),
        401: (Unauthorized,),
        403: (Forbidden,),
        409: (IdempotencyKeyMismatch, IdempotencyKeyInUse),
        422: (SellerIncomplete, InvoiceInvalid),
    }
)
READ_ERRORS = seed_error_responses(
    {400: (UnsupportedApiVersion,), 401: _AUTH[:1], 403: _AUTH[1:], 404: (PaymentInvoiceNotFound,)}
)


def _findable(value: str) -> bool:
    """A path value that can name something (not too long, no control character)."""
    try:
        printable(value)
    except ValueError:
        return False
    return 0 < len(value) <= 100


def _answer(
    linked: LinkedInvoice, presentation: PresentationDep, message: str
) -> PaymentInvoiceResponse:
    return PaymentInvoiceResponse(
        message=message,
        data=present(linked, base_url=presentation.base_url, today=presentation.today),
    )


@router.post(
    "",
    name="payment_links_create",
    status_code=201,
    dependencies=Versioned,
    responses=CREATE_ERRORS,
)
async def create_payment_invoice(
    body: PaymentInvoiceCreate,
    merchant: MerchantWrites,
    session: Session,
    presentation: PresentationDep,
    notifier: Notifier,
) -> PaymentInvoiceResponse:
    """Seed 004's "create invoice": an issued invoice of catalog products, payable at
    `paymentLinkUrl` until `expiryAt`.

    Authenticate with `Authorization: Bearer bk_...` or the seed's `irembopay-secretKey`
    header (the same API key); `X-API-Version: 2` is accepted. `transactionId` is unique per
    merchant (the key's tenant, or the operator), also between concurrent requests. An
    operator-wide key names the tenant billed in `tenantId`; a tenant's key pays catalog
    prices. The VAT of each product's rate is added to `amount` (`totalAmount`).

    Answers use the seed's envelope: `{success, message, data}`, and on failure
    `{success: false, message, errors: [{code, detail}]}`:

    | status | code | meaning |
    |---|---|---|
    | 400 | TRANSACTION_ID_MISSING | No transaction id provided |
    | 400 | DUPLICATE_TRANSACTION_ID | The provided transaction Id already exists |
    | 400 | PRODUCT_MISSING | No product provided |
    | 400 | BAD_PRODUCT | An item of the products array is incorrectly formatted or incomplete |
    | 400 | PAYMENT_ACCOUNT_MISSING | paymentAccountIdentifier parameter is missing |
    | 400 | BAD_EXPIRATION_DATE | The expiration date is incorrectly formatted or is in the past |
    | 400 | BAD_LANGUAGE | The language is incorrectly formatted |
    | 400 | BAD_CUSTOMER_CONTACT | A CustomerContact is incorrectly formatted |
    | 400 | PAYMENT_ACCOUNT_NOT_FOUND | The payment account does not exist under the merchant |
    | 400 | PRODUCT_NOT_FOUND | A product provided does not exist under the merchant |
    | 400 | BAD_DESCRIPTION | extension: description is not a string of at most 2000 characters |
    | 400 | UNKNOWN_FIELD | extension: the body has a field seed 004 does not define |
    | 400 | TENANT_MISSING, TENANT_NOT_FOUND | extension: the tenant to bill (`tenantId`) |
    | 400 | INVALID_REQUEST | extension: the body is not a JSON object |
    | 400 | UNSUPPORTED_API_VERSION | extension: X-API-Version is not 2 |
    | 400 | CURRENCY_NOT_ENABLED | extension: the account's currency is switched off |
    | 401 | AUTHENTICATION_FAILED | missing, invalid or revoked key |
    """
    created = await link_service.create(
        session,
        merchant=merchant,
        body=body,
        base_url=presentation.base_url,
        notifier=notifier,
    )
    return _answer(created, presentation, "Invoice created successfully")


@router.get(
    "/transactions/{transaction_id}",
    name="payment_links_get_by_transaction",
    dependencies=Versioned,
    responses=READ_ERRORS,
)
async def get_payment_invoice_by_transaction(
    transaction_id: str,
    merchant: MerchantReads,
    session: Session,
    presentation: PresentationDep,
) -> PaymentInvoiceResponse:
    """The merchant's invoice created with this transaction id, with its current status."""
    if not _findable(transaction_id):
        raise PaymentInvoiceNotFound
    found = await link_service.by_transaction(
        session, merchant=merchant, transaction_id=transaction_id
    )
    return _answer(found, presentation, "Invoice fetched successfully")


@router.get(
    "/{invoice_number}",
    name="payment_links_get",
    dependencies=Versioned,
    responses=READ_ERRORS,
)
async def get_payment_invoice(
    invoice_number: str,
    merchant: MerchantReads,
    session: Session,
    presentation: PresentationDep,
) -> PaymentInvoiceResponse:
    """The merchant's invoice with this number, with its current status."""
    if not _findable(invoice_number):
        raise PaymentInvoiceNotFound
    found = await link_service.by_number(session, merchant=merchant, invoice_number=invoice_number)
    return _answer(found, presentation, "Invoice fetched successfully")


class PaymentLinkRead(ReadSchema):
    """A payment link as staff see it."""

    invoice_id: uuid.UUID
    invoice_number: str | None
    tenant_id: uuid.UUID
    merchant: str = Field(description="'operator' or 'tenant:<id>': whose transaction id.")
    transaction_id: str
    payment_account_identifier: str
    currency: str
    total_amount: MoneyString
    balance: MoneyString
    expires_at: datetime | None
    expired: bool
    public_url: str
    created_at: datetime


class LatePaymentRead(ReadSchema):
    """Money that arrived after the link of its invoice expired."""

    invoice_id: uuid.UUID
    invoice_number: str | None
    tenant_id: uuid.UUID
    merchant: str
    transaction_id: str
    expires_at: datetime
    reference: str = Field(description="The payment attempt (TXN-...).")
    method: str
    amount: MoneyString
    currency: str
    completed_at: datetime


def _link_read(summary: LinkSummary, base_url: str, now: datetime) -> PaymentLinkRead:
    link = summary.link
    return PaymentLinkRead(
        invoice_id=link.invoice_id,
        invoice_number=summary.invoice_number,
        tenant_id=link.tenant_id,
        merchant=link.merchant,
        transaction_id=link.transaction_id,
        payment_account_identifier=summary.account_identifier,
        currency=summary.currency,
        total_amount=summary.total_amount,
        balance=summary.total_amount - summary.amount_paid,
        expires_at=link.expires_at,
        expired=is_expired(link, now),
        public_url=public_url(base_url, summary.public_id),
        created_at=link.created_at,
    )


@admin_router.get("", name="payment_links_list", dependencies=[require(Permission.PAYMENTS_READ)])
async def list_payment_links(
    scope: StaffScope,
    session: Session,
    page: Page,
    presentation: PresentationDep,
    tenant_id: uuid.UUID | None = None,
    expired: Annotated[bool, Query(description="Only links whose expiry has passed.")] = False,
) -> ListResponse[PaymentLinkRead]:
    """Payment-link invoices (seed 004), newest first."""
    result = await link_service.list(
        session, scope=scope, tenant_id=tenant_id, expired=expired, page=page
    )
    now = utcnow()
    return ListResponse.from_page(
        result,
        page=page,
        read=lambda summary: _link_read(summary, presentation.base_url, now),
    )


@admin_router.get(
    "/late-payments",
    name="payment_links_late_payments",
    dependencies=[require(Permission.PAYMENTS_READ)],
)
async def list_late_payments(
    scope: StaffScope, session: Session, page: Page, tenant_id: uuid.UUID | None = None
) -> ListResponse[LatePaymentRead]:
    """Payments completed after their invoice's link expired: money still settled (an
    attempt started before the expiry, a transfer recorded later), to reconcile, newest
    first."""
    result = await link_service.late_payments(session, scope=scope, tenant_id=tenant_id, page=page)
    return ListResponse.from_page(
        result,
        page=page,
        read=lambda late: LatePaymentRead(
            invoice_id=late.link.invoice_id,
            invoice_number=late.invoice_number,
            tenant_id=late.link.tenant_id,
            merchant=late.link.merchant,
            transaction_id=late.link.transaction_id,
            expires_at=late.link.expires_at,
            reference=late.reference,
            method=late.method,
            amount=late.amount,
            currency=late.currency,
            completed_at=late.completed_at,
        ),
    )
