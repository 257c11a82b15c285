"""Charging saved methods (tenant and operator) and the Stripe and Mollie webhooks.

A charge the provider declines, or for which the bank asks the cardholder to authenticate
(``authentication_required``), answers **402** ``payment_failed``: ``details[0]`` holds the
failed attempt (reference, failure code and message, decline code) and ``next_action`` with
the client secret for ``stripe.confirmPayment``. The failed attempt is committed all the same.
A charge that succeeded or is still processing (SEPA) answers 201 with the attempt.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from billing.auth.dependencies import (
    CurrentPrincipal,
    PublicScope,
    StaffScope,
    TenantScope,
    require,
)
from billing.auth.principal import Permission
from billing.cards.dependencies import TenantInvoiceForUpdate
from billing.cards.errors import NoDefaultPaymentMethod, PaymentFailed, PaymentInProgress
from billing.cards.schemas import ChargeRead, ChargeRequest
from billing.cards.service import Charged
from billing.cards.service import charge as charge_service
from billing.cards.webhooks import handle_mollie, handle_stripe
from billing.checkout.dependencies import BaseUrl, Providers
from billing.checkout.errors import (
    CurrencyNotSupported,
    InvalidCheckoutAmount,
    ProviderFailed,
    ProviderTimeout,
)
from billing.checkout.schemas import AttemptRead
from billing.core.envelope import ApiResponse, error_responses
from billing.core.errors import error_response
from billing.core.schemas import ReadSchema
from billing.core.session import Session
from billing.invoices.dependencies import PresentationDep, StaffInvoice
from billing.invoices.errors import InvoiceNotFound
from billing.models.invoice import Invoice
from billing.payment_methods.errors import (
    PaymentMethodNotActive,
    PaymentMethodNotFound,
    ProviderNotConfigured,
)
from billing.payment_methods.schemas import NextActionRead
from billing.payments.errors import AmountExceedsBalance, InvoiceAlreadyPaid, InvoiceNotPayable
from billing.providers.base import CallbackVerificationError
from billing.routing import TransactionalRoute, WebhookRoute
from billing.settings.errors import PaymentMethodNotEnabled

tenant_router = APIRouter(
    prefix="/invoices", tags=["billing-invoices"], route_class=TransactionalRoute
)
admin_router = APIRouter(prefix="/invoices", tags=["payments"], route_class=TransactionalRoute)
webhooks_router = APIRouter(prefix="/webhooks", tags=["webhooks"], route_class=WebhookRoute)

CHARGE_ERRORS = error_responses(
    InvoiceNotFound,
    InvoiceNotPayable,
    InvoiceAlreadyPaid,
    AmountExceedsBalance,
    InvalidCheckoutAmount,
    PaymentMethodNotFound,
    NoDefaultPaymentMethod,
    PaymentMethodNotActive,
    PaymentMethodNotEnabled,
    PaymentInProgress,
    CurrencyNotSupported,
    PaymentFailed,
    ProviderFailed,
    ProviderTimeout,
    ProviderNotConfigured,
)
WEBHOOK_ERRORS = error_responses(400, ProviderFailed, ProviderTimeout)


class WebhookReceived(ReadSchema):
    """The acknowledgement providers wait for (any 2xx for Stripe, exactly 200 for Mollie)."""

    received: bool = True


def _answer(charged: Charged, invoice: Invoice, presentation: PresentationDep) -> Any:
    if charged.error is not None:
        # Returned rather than raised so the failed attempt is committed for the audit trail.
        error = charged.error
        return error_response(error.status_code, error.code, error.detail_message, error.details)
    return ApiResponse(
        data=ChargeRead(
            attempt=AttemptRead.model_validate(charged.attempt),
            payment_method_id=charged.method.id,
            invoice=presentation.read(invoice),
            next_action=NextActionRead.of(charged.result.next_action if charged.result else None),
        )
    )


@tenant_router.post(
    "/{invoice_id}/pay",
    name="billing_invoices_pay",
    status_code=201,
    dependencies=[require(Permission.BILLING_WRITE)],
    response_model=ApiResponse[ChargeRead],
    responses=CHARGE_ERRORS,
)
async def pay_my_invoice(
    invoice: TenantInvoiceForUpdate,
    scope: TenantScope,
    principal: CurrentPrincipal,
    session: Session,
    providers: Providers,
    base_url: BaseUrl,
    presentation: PresentationDep,
    body: ChargeRequest | None = None,
) -> Any:
    """Pay one of the caller's invoices with a saved method (the default unless one is named).

    201 when the provider took it (or is processing a SEPA debit); 402 ``payment_failed`` with
    the failed attempt and ``next_action`` when it was declined or needs authentication.
    """
    body = body or ChargeRequest()
    charged = await charge_service.charge(
        session,
        scope=scope,
        providers=providers,
        invoice=invoice,
        method_id=body.payment_method_id,
        amount=body.amount,
        initiated_by=principal.key,
        base_url=base_url,
    )
    return _answer(charged, invoice, presentation)


@admin_router.post(
    "/{invoice_id}/charge",
    name="invoices_charge",
    status_code=201,
    dependencies=[require(Permission.PAYMENTS_WRITE)],
    response_model=ApiResponse[ChargeRead],
    responses=CHARGE_ERRORS,
)
async def charge_invoice(
    invoice: StaffInvoice,
    scope: StaffScope,
    principal: CurrentPrincipal,
    session: Session,
    providers: Providers,
    base_url: BaseUrl,
    presentation: PresentationDep,
    body: ChargeRequest | None = None,
) -> Any:
    """Charge an invoice off-session to one of its tenant's saved methods (default if unnamed).

    201 when the provider took it (or is processing a SEPA debit); 402 ``payment_failed`` with
    the failed attempt and ``next_action`` for the tenant to complete when it was declined or
    needs authentication.
    """
    body = body or ChargeRequest()
    charged = await charge_service.charge(
        session,
        scope=scope,
        providers=providers,
        invoice=invoice,
        method_id=body.payment_method_id,
        amount=body.amount,
        initiated_by=principal.key,
        base_url=base_url,
    )
    return _answer(charged, invoice, presentation)


@webhooks_router.post(
    "/stripe", name="webhooks_stripe", response_model=WebhookReceived, responses=WEBHOOK_ERRORS
)
async def stripe_webhook(
    request: Request, scope: PublicScope, session: Session, providers: Providers
) -> Any:
    """Stripe events, verified by ``Stripe-Signature`` first (400, nothing stored, when the
    signature, its timestamp or the body is wrong), stored once by event id, applied once."""
    try:
        await handle_stripe(
            session,
            scope=scope,
            providers=providers,
            body=await request.body(),
            headers=dict(request.headers),
        )
    except CallbackVerificationError as exc:
        return error_response(400, "webhook_invalid", f"{exc.code}: {exc.message}")
    return WebhookReceived()


@webhooks_router.post(
    "/mollie", name="webhooks_mollie", response_model=WebhookReceived, responses=WEBHOOK_ERRORS
)
async def mollie_webhook(
    request: Request, scope: PublicScope, session: Session, providers: Providers
) -> Any:
    """Mollie's ``id=tr_...`` notification: the payment is fetched back from Mollie before
    anything changes; unknown ids are acknowledged without revealing anything."""
    try:
        await handle_mollie(
            session,
            scope=scope,
            providers=providers,
            body=await request.body(),
            headers=dict(request.headers),
        )
    except CallbackVerificationError as exc:
        return error_response(400, "webhook_invalid", f"{exc.code}: {exc.message}")
    return WebhookReceived()
