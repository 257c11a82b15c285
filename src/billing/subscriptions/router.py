"""Subscription routes: staff manage them (``/api/v1/admin/subscriptions``), tenants read
their own (``/api/v1/billing/subscriptions``), both see the upcoming invoice, and staff quote
plan changes (``/api/v1/admin/proration/calculate``, seed 003)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated

from fastapi import Query

from billing.auth.dependencies import CurrentPrincipal, StaffScope, TenantScope, require
from billing.auth.principal import Permission
from billing.catalog.prices.errors import PriceInactive, UnknownPrice
from billing.core.envelope import ApiResponse, ListResponse, Pagination, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.money import round_money
from billing.core.pagination import Page, PageOf
from billing.core.session import Session
from billing.invoices.errors import InvoiceInvalid, SellerIncomplete
from billing.invoices.presenter import balance
from billing.metering.errors import UsageTooLarge
from billing.models.subscription import SubscriptionStatus
from billing.routing import TransactionalRoute
from billing.settings.errors import CurrencyNotEnabled
from billing.subscriptions.errors import (
    NoUpcomingInvoice,
    PricesIncompatible,
    ProrationNotSupported,
    SubscriptionAmbiguous,
    SubscriptionInvalid,
    SubscriptionItemNotFound,
    SubscriptionNotFound,
    SubscriptionStateConflict,
)
from billing.subscriptions.lifecycle import lifecycle as lifecycle_service
from billing.subscriptions.operations import Outcome
from billing.subscriptions.schemas import (
    ChangeRequest,
    ChangeResult,
    PauseRequest,
    ProrationQuote,
    ProrationQuoteRequest,
    ResumeRequest,
    SubscriptionCancelRequest,
    SubscriptionCreate,
    SubscriptionInvoiceRead,
    SubscriptionRead,
    SubscriptionUpdate,
    UpcomingInvoiceRead,
    UsageRead,
)
from billing.subscriptions.service import subscription as subscription_service
from billing.subscriptions.upcoming import upcoming_invoice
from billing.subscriptions.usage_report import current_usage
from billing.tenants.errors import TenantNotFound

admin_router = GatedRouter(
    prefix="/subscriptions", tags=["subscriptions"], route_class=TransactionalRoute
)
proration_router = GatedRouter(
    prefix="/proration", tags=["subscriptions"], route_class=TransactionalRoute
)
admin_upcoming_router = GatedRouter(
    prefix="/tenants", tags=["subscriptions"], route_class=TransactionalRoute
)
tenant_router = GatedRouter(
    prefix="/subscriptions", tags=["billing-subscriptions"], route_class=TransactionalRoute
)
tenant_upcoming_router = GatedRouter(tags=["billing-subscriptions"], route_class=TransactionalRoute)

Reads = [require(Permission.SUBSCRIPTIONS_READ)]
Writes = [require(Permission.SUBSCRIPTIONS_WRITE)]

# Billing money now can fail like issuing any invoice (the operator's seller is incomplete,
# its currency no longer enabled), or on metered usage beyond what an invoice line holds.
_BILLING_ERRORS = (SellerIncomplete, InvoiceInvalid, CurrencyNotEnabled, UsageTooLarge)
_CHANGE_ERRORS = error_responses(
    SubscriptionNotFound,
    SubscriptionItemNotFound,
    SubscriptionInvalid,
    SubscriptionAmbiguous,
    SubscriptionStateConflict,
    UnknownPrice,
    PriceInactive,
    PricesIncompatible,
    ProrationNotSupported,
    *_BILLING_ERRORS,
)
_END_ERRORS = error_responses(SubscriptionNotFound, SubscriptionStateConflict, *_BILLING_ERRORS)


async def _result(session: Session, outcome: Outcome) -> ChangeResult:
    (read,) = await subscription_service.present(session, [outcome.subscription])
    settled = outcome.settled
    currency = outcome.subscription.currency
    return ChangeResult(
        subscription=read,
        proration=outcome.quote,
        invoice_id=settled.invoice.id if settled and settled.invoice else None,
        currency=currency,
        wallet_credit=settled.wallet_credit if settled else Decimal(0),
        pending_amount=outcome.pending_amount,
    )


# -- staff ----------------------------------------------------------------------------------


@admin_router.post(
    "",
    name="subscriptions_create",
    status_code=201,
    dependencies=Writes,
    responses=error_responses(
        TenantNotFound,
        UnknownPrice,
        PriceInactive,
        PricesIncompatible,
        SubscriptionInvalid,
        *_BILLING_ERRORS,
    ),
)
async def create_subscription(
    body: SubscriptionCreate, scope: StaffScope, principal: CurrentPrincipal, session: Session
) -> ApiResponse[SubscriptionRead]:
    """Subscribe a tenant to recurring prices; the first period (after any trial) is invoiced
    at once and, with automatic collection, charged to the tenant's default method."""
    created = await subscription_service.create(
        session, scope=scope, principal=principal, body=body
    )
    (read,) = await subscription_service.present(session, [created])
    return ApiResponse(data=read)


@admin_router.get("", name="subscriptions_list", dependencies=Reads)
async def list_subscriptions(
    scope: StaffScope,
    session: Session,
    page: Page,
    tenant_id: uuid.UUID | None = None,
    status: SubscriptionStatus | None = None,
) -> ListResponse[SubscriptionRead]:
    """Subscriptions in the caller's scope, newest first."""
    result = await subscription_service.list_page(
        session,
        scope=scope,
        tenant_id=tenant_id,
        status=status,
        page=page,
    )
    presented = await subscription_service.present(session, result.items)
    return ListResponse.from_page(
        PageOf(presented, result.total, result.has_next, result.next_cursor),
        page=page,
        read=lambda read: read,
    )


@admin_router.get(
    "/{subscription_id}",
    name="subscriptions_get",
    dependencies=Reads,
    responses=error_responses(SubscriptionNotFound),
)
async def get_subscription(
    subscription_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[SubscriptionRead]:
    """One subscription with its items."""
    found = await subscription_service.get(session, scope=scope, subscription_id=subscription_id)
    (read,) = await subscription_service.present(session, [found])
    return ApiResponse(data=read)


@admin_router.patch(
    "/{subscription_id}",
    name="subscriptions_update",
    dependencies=Writes,
    responses=error_responses(SubscriptionNotFound, SubscriptionInvalid, SubscriptionStateConflict),
)
async def update_subscription(
    subscription_id: uuid.UUID, body: SubscriptionUpdate, scope: StaffScope, session: Session
) -> ApiResponse[SubscriptionRead]:
    """Change what moves no money: cancel_at_period_end (or undo it), collection, notes."""
    updated = await subscription_service.update(
        session, scope=scope, subscription_id=subscription_id, body=body
    )
    (read,) = await subscription_service.present(session, [updated])
    return ApiResponse(data=read)


@admin_router.get(
    "/{subscription_id}/invoices",
    name="subscriptions_invoices",
    dependencies=Reads,
    responses=error_responses(SubscriptionNotFound),
)
async def list_subscription_invoices(
    subscription_id: uuid.UUID, scope: StaffScope, session: Session, page: Page
) -> ListResponse[SubscriptionInvoiceRead]:
    """The invoices a subscription produced, newest first, with their collection state
    (attempts, next retry, last failure)."""
    result = await subscription_service.invoices(
        session,
        scope=scope,
        subscription_id=subscription_id,
        page=page,
    )
    return ListResponse(
        data=[
            SubscriptionInvoiceRead(
                id=record.id,
                subscription_id=record.subscription_id,
                invoice_id=record.invoice_id,
                invoice_number=invoice.invoice_number,
                kind=record.kind,
                period_start=record.period_start,
                period_end=record.period_end,
                currency=invoice.currency,
                total_amount=round_money(invoice.total_amount, invoice.currency),
                balance=round_money(balance(invoice), invoice.currency),
                collection_state=record.collection_state,
                attempt_count=record.attempt_count,
                next_attempt_at=record.next_attempt_at,
                last_failure_code=record.last_failure_code,
                last_failure_message=record.last_failure_message,
                created_at=record.created_at,
            )
            for record, invoice in result.items
        ],
        pagination=Pagination.of(result, page),
    )


@admin_router.post(
    "/{subscription_id}/change",
    name="subscriptions_change",
    dependencies=Writes,
    responses=_CHANGE_ERRORS,
)
async def change_subscription(
    subscription_id: uuid.UUID, body: ChangeRequest, scope: StaffScope, session: Session
) -> ApiResponse[ChangeResult]:
    """Give an item a new price and/or quantity from today. ``invoice_now`` invoices the
    prorated difference at once (a credit goes to the wallet), ``next_invoice`` adds it to the
    next renewal, ``none`` bills the change from the next period. The proration applied is
    returned and equals the quote of the same day."""
    outcome = await subscription_service.change(
        session, scope=scope, subscription_id=subscription_id, body=body
    )
    return ApiResponse(data=await _result(session, outcome))


@admin_router.post(
    "/{subscription_id}/cancel",
    name="subscriptions_cancel",
    dependencies=Writes,
    responses=_END_ERRORS,
)
async def cancel_subscription(
    subscription_id: uuid.UUID, body: SubscriptionCancelRequest, scope: StaffScope, session: Session
) -> ApiResponse[ChangeResult]:
    """Cancel at the period end (``at_period_end``), or now: the unused days are credited
    to the wallet (billed in advance) or the used days invoiced (in arrears), and what is
    pending is settled in a final invoice or credit."""
    outcome = await lifecycle_service.cancel(
        session, scope=scope, subscription_id=subscription_id, body=body
    )
    return ApiResponse(data=await _result(session, outcome))


@admin_router.post(
    "/{subscription_id}/pause",
    name="subscriptions_pause",
    dependencies=Writes,
    responses=_END_ERRORS,
)
async def pause_subscription(
    subscription_id: uuid.UUID, body: PauseRequest, scope: StaffScope, session: Session
) -> ApiResponse[ChangeResult]:
    """Pause billing from today (crediting the unused days, or invoicing the used ones, as
    asked); nothing renews until it is resumed."""
    outcome = await lifecycle_service.pause(
        session, scope=scope, subscription_id=subscription_id, body=body
    )
    return ApiResponse(data=await _result(session, outcome))


@admin_router.post(
    "/{subscription_id}/resume",
    name="subscriptions_resume",
    dependencies=Writes,
    responses=_END_ERRORS,
)
async def resume_subscription(
    subscription_id: uuid.UUID, body: ResumeRequest, scope: StaffScope, session: Session
) -> ApiResponse[ChangeResult]:
    """Resume a paused subscription today; the rest of the current period is invoiced now,
    added to the next invoice, or free (``none``), as asked."""
    outcome = await lifecycle_service.resume(
        session, scope=scope, subscription_id=subscription_id, body=body
    )
    return ApiResponse(data=await _result(session, outcome))


@proration_router.post(
    "/calculate",
    name="proration_calculate",
    dependencies=Reads,
    responses=error_responses(
        TenantNotFound,
        SubscriptionNotFound,
        SubscriptionAmbiguous,
        SubscriptionItemNotFound,
        SubscriptionInvalid,
        SubscriptionStateConflict,
        UnknownPrice,
        PriceInactive,
        PricesIncompatible,
    ),
)
async def calculate_proration(
    body: ProrationQuoteRequest, scope: StaffScope, session: Session
) -> ApiResponse[ProrationQuote]:
    """Seed 003: what moving a subscriber (tenant) to a new service (price) or quantity
    today would bill, without changing anything. Amounts are net of VAT; a negative
    ``net_amount_due`` is a credit."""
    quote = await subscription_service.quote(session, scope=scope, body=body)
    return ApiResponse(data=quote)


@admin_upcoming_router.get(
    "/{tenant_id}/upcoming",
    name="tenants_upcoming_invoice",
    dependencies=Reads,
    responses=error_responses(
        TenantNotFound, SubscriptionNotFound, NoUpcomingInvoice, *_BILLING_ERRORS
    ),
)
async def get_tenant_upcoming_invoice(
    tenant_id: uuid.UUID,
    scope: StaffScope,
    session: Session,
    subscription_id: Annotated[
        uuid.UUID | None, Query(description="One subscription's; the soonest otherwise.")
    ] = None,
) -> ApiResponse[UpcomingInvoiceRead]:
    """Any visible tenant's upcoming invoice, as ``GET /api/v1/billing/upcoming`` shows it."""
    preview = await upcoming_invoice(
        session, scope=scope, tenant_id=tenant_id, subscription_id=subscription_id
    )
    return ApiResponse(data=preview)


# -- tenants --------------------------------------------------------------------------------


@tenant_router.get(
    "", name="billing_subscriptions_list", dependencies=[require(Permission.BILLING_READ)]
)
async def list_my_subscriptions(
    scope: TenantScope, session: Session, page: Page, status: SubscriptionStatus | None = None
) -> ListResponse[SubscriptionRead]:
    """The caller's subscriptions, newest first."""
    result = await subscription_service.list_page(
        session,
        scope=scope,
        tenant_id=scope.tenant_id,
        status=status,
        page=page,
    )
    presented = await subscription_service.present(session, result.items)
    return ListResponse.from_page(
        PageOf(presented, result.total, result.has_next, result.next_cursor),
        page=page,
        read=lambda read: read,
    )


@tenant_router.get(
    "/{subscription_id}",
    name="billing_subscriptions_get",
    dependencies=[require(Permission.BILLING_READ)],
    responses=error_responses(SubscriptionNotFound),
)
async def get_my_subscription(
    subscription_id: uuid.UUID, scope: TenantScope, session: Session
) -> ApiResponse[SubscriptionRead]:
    """One of the caller's subscriptions."""
    found = await subscription_service.get(session, scope=scope, subscription_id=subscription_id)
    (read,) = await subscription_service.present(session, [found])
    return ApiResponse(data=read)


@tenant_upcoming_router.get(
    "/upcoming",
    name="billing_upcoming_invoice",
    dependencies=[require(Permission.BILLING_READ)],
    responses=error_responses(SubscriptionNotFound, NoUpcomingInvoice, *_BILLING_ERRORS),
)
async def get_my_upcoming_invoice(
    scope: TenantScope,
    session: Session,
    subscription_id: Annotated[
        uuid.UUID | None, Query(description="One subscription's; the soonest otherwise.")
    ] = None,
) -> ApiResponse[UpcomingInvoiceRead]:
    """Seed 002: the next invoice of the caller's subscriptions as it would be issued now:
    the next period of each item, pending prorations, usage (once metered), taxes by the
    invoice rules, the date it will be issued, and what the wallet would pay of it."""
    assert scope.tenant_id is not None
    preview = await upcoming_invoice(
        session, scope=scope, tenant_id=scope.tenant_id, subscription_id=subscription_id
    )
    return ApiResponse(data=preview)


@admin_upcoming_router.get(
    "/{tenant_id}/usage",
    name="tenants_usage",
    dependencies=Reads,
    responses=error_responses(TenantNotFound, UsageTooLarge),
)
async def get_tenant_usage(
    tenant_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[UsageRead]:
    """Any visible tenant's metered usage not invoiced yet, as ``GET /billing/usage`` shows it."""
    return ApiResponse(data=await current_usage(session, scope=scope, tenant_id=tenant_id))


@tenant_upcoming_router.get(
    "/usage",
    name="billing_usage",
    dependencies=[require(Permission.BILLING_READ)],
    responses=error_responses(UsageTooLarge),
)
async def get_my_usage(scope: TenantScope, session: Session) -> ApiResponse[UsageRead]:
    """The caller's metered usage since each subscription's last invoice: quantity and amount
    per metric, as the next invoice will bill them."""
    assert scope.tenant_id is not None
    return ApiResponse(data=await current_usage(session, scope=scope, tenant_id=scope.tenant_id))
