"""Charging saved methods (tenant and operator).

A charge the provider declines, or for which the bank asks the cardholder to authenticate
(``authentication_required``), answers **402** ``payment_failed``: ``details[0]`` holds the
failed attempt (reference, failure code and message, decline code) and ``next_action`` with
the client secret for ``stripe.confirmPayment``. The failed attempt is committed all the same.
A charge that succeeded or is still processing (SEPA) answers 201 with the attempt.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth.dependencies import (
    CurrentPrincipal,
    StaffScope,
    TenantScope,
    require,
)
from billing.auth.principal import Permission, Principal
from billing.core.envelope import ApiResponse, error_responses
from billing.core.errors import render_error
from billing.core.gated_router import GatedRouter
from billing.core.session import Session
from billing.core.tenancy import AccessScope
from billing.invoices.dependencies import Presentation, PresentationDep
from billing.invoices.errors import InvoiceNotFound
from billing.payments.callback_urls import CallbackUrls
from billing.payments.charges.schemas import ChargeRead, ChargeRequest
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
from billing.providers.registry import ProviderFactory
from billing.routing import TransactionalRoute
from billing.settings.errors import PaymentMethodNotEnabled

tenant_router = GatedRouter(
    prefix="/invoices", tags=["billing-invoices"], route_class=TransactionalRoute
)
admin_router = GatedRouter(prefix="/invoices", tags=["payments"], route_class=TransactionalRoute)

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


@dataclass(frozen=True, slots=True)
class InvoiceCharger:
    """Charges an invoice to a saved method on behalf of the caller, and answers: the charge
    in the envelope, or the provider's refusal as an error (the failed attempt is kept)."""

    session: AsyncSession
    principal: Principal
    providers: ProviderFactory
    callbacks: CallbackUrls
    presentation: Presentation

    async def charge(
        self, invoice_id: uuid.UUID, body: ChargeRequest | None, scope: AccessScope
    ) -> Any:
        """Charge the named method, or the default one, for the amount asked or the balance."""
        body = body or ChargeRequest()
        charged = await charge_service.charge(
            self.session,
            scope=scope,
            providers=self.providers,
            invoice_id=invoice_id,
            method_id=body.payment_method_id,
            amount=body.amount,
            initiated_by=self.principal.key,
            callbacks=self.callbacks,
        )
        if charged.error is not None:
            # Returned rather than raised so the failed attempt is committed for the audit trail.
            return render_error(charged.error)
        return ApiResponse(
            data=ChargeRead(
                attempt=AttemptRead.model_validate(charged.attempt),
                payment_method_id=charged.method.id,
                invoice=self.presentation.read(charged.invoice),
                next_action=NextActionRead.of(
                    charged.result.next_action if charged.result else None
                ),
            )
        )


async def get_invoice_charger(
    principal: CurrentPrincipal,
    session: Session,
    providers: Providers,
    callbacks: Callbacks,
    presentation: PresentationDep,
) -> InvoiceCharger:
    """The charger of this request."""
    return InvoiceCharger(session, principal, providers, callbacks, presentation)


Charger = Annotated[InvoiceCharger, Depends(get_invoice_charger)]


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
    charger: Charger,
    body: ChargeRequest | None = None,
) -> Any:
    """Pay one of the caller's invoices with a saved method (the default unless one is named).

    201 when the provider took it (or is processing a SEPA debit); 402 ``payment_failed`` with
    the failed attempt and ``next_action`` when it was declined or needs authentication.
    """
    return await charger.charge(invoice_id, body, scope)


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
    charger: Charger,
    body: ChargeRequest | None = None,
) -> Any:
    """Charge an invoice off-session to one of its tenant's saved methods (default if unnamed).

    201 when the provider took it (or is processing a SEPA debit); 402 ``payment_failed`` with
    the failed attempt and ``next_action`` for the tenant to complete when it was declined or
    needs authentication.
    """
    return await charger.charge(invoice_id, body, scope)
