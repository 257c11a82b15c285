"""Charging saved methods (tenant and operator).

A charge the provider declines, or for which the bank asks the cardholder to authenticate
(``authentication_required``), answers **402** ``payment_failed``: ``details[0]`` holds the
failed attempt (reference, failure code and message, decline code) and ``next_action`` with
the client secret for ``stripe.confirmPayment``. The failed attempt is committed all the same.
A charge that succeeded or is still processing (SEPA) answers 201 with the attempt.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from billing.auth.dependencies import (
    CurrentPrincipal,
    StaffScope,
    TenantScope,
    require,
)
from billing.auth.principal import Permission
from billing.core.envelope import ApiResponse, error_responses
from billing.core.errors import error_response
from billing.core.session import Session
from billing.invoices.dependencies import PresentationDep
from billing.invoices.errors import InvoiceNotFound
from billing.payments.charges.schemas import ChargeRead, ChargeRequest
from billing.payments.charges.service import Charged
from billing.payments.charges.service import charge as charge_service
from billing.payments.checkout.schemas import AttemptRead
from billing.payments.dependencies import Callbacks, Providers
from billing.payments.errors import (
    AmountExceedsBalance,
    CurrencyNotSupported,
    InvalidCheckoutAmount,
    InvoiceAlreadyPaid,
    InvoiceNotPayable,
    NoDefaultPaymentMethod,
    PaymentFailed,
    PaymentInProgress,
    PaymentMethodNotActive,
    PaymentMethodNotFound,
    ProviderFailed,
    ProviderNotConfigured,
    ProviderTimeout,
)
from billing.payments.links.errors import PaymentLinkExpired, PaymentMethodNotAccepted
from billing.payments.methods.schemas import NextActionRead
from billing.routing import TransactionalRoute
from billing.settings.errors import PaymentMethodNotEnabled

tenant_router = APIRouter(
    prefix="/invoices", tags=["billing-invoices"], route_class=TransactionalRoute
)
admin_router = APIRouter(prefix="/invoices", tags=["payments"], route_class=TransactionalRoute)

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
    PaymentLinkExpired,
    PaymentMethodNotAccepted,
)


def _answer(charged: Charged, presentation: PresentationDep) -> Any:
    if charged.error is not None:
        # Returned rather than raised so the failed attempt is committed for the audit trail.
        error = charged.error
        return error_response(error.status_code, error.code, error.detail_message, error.details)
    return ApiResponse(
        data=ChargeRead(
            attempt=AttemptRead.model_validate(charged.attempt),
            payment_method_id=charged.method.id,
            invoice=presentation.read(charged.invoice),
            next_action=NextActionRead.of(charged.result.next_action if charged.result else None),
        )
    )


@tenant_router.post(
    "/{invoice_id}/pay",
    name="billing_invoices_pay_with_saved_method",
    status_code=201,
    dependencies=[require(Permission.BILLING_WRITE)],
    response_model=ApiResponse[ChargeRead],
    responses=CHARGE_ERRORS,
)
async def pay_my_invoice(
    invoice_id: uuid.UUID,
    scope: TenantScope,
    principal: CurrentPrincipal,
    session: Session,
    providers: Providers,
    callbacks: Callbacks,
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
        invoice_id=invoice_id,
        method_id=body.payment_method_id,
        amount=body.amount,
        initiated_by=principal.key,
        callbacks=callbacks,
    )
    return _answer(charged, presentation)


@admin_router.post(
    "/{invoice_id}/charge",
    name="invoices_charge_saved_method",
    status_code=201,
    dependencies=[require(Permission.PAYMENTS_WRITE)],
    response_model=ApiResponse[ChargeRead],
    responses=CHARGE_ERRORS,
)
async def charge_invoice(
    invoice_id: uuid.UUID,
    scope: StaffScope,
    principal: CurrentPrincipal,
    session: Session,
    providers: Providers,
    callbacks: Callbacks,
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
        invoice_id=invoice_id,
        method_id=body.payment_method_id,
        amount=body.amount,
        initiated_by=principal.key,
        callbacks=callbacks,
    )
    return _answer(charged, presentation)
