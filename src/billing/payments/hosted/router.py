"""Public routes of the payment page (``/api/v1/public/invoices/{public_id}/...``): no
authentication, the public id is the capability and every request runs under a scope narrowed
to its invoice. Rate-limit these per client address like the page itself."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import RedirectResponse

from billing.core.envelope import ApiResponse, error_responses
from billing.core.errors import error_response, render_error
from billing.core.gated_router import GatedRouter
from billing.core.session import Session
from billing.invoices.dependencies import PresentationDep
from billing.invoices.errors import InvoiceNotFound
from billing.payments.checkout.service import Started
from billing.payments.dependencies import Callbacks, Providers
from billing.payments.errors import (
    AmountExceedsBalance,
    CurrencyNotSupported,
    InvoiceAlreadyPaid,
    InvoiceNotPayable,
    ProviderFailed,
    ProviderNotConfigured,
    ProviderTimeout,
)
from billing.payments.hosted.options import page_url
from billing.payments.hosted.schemas import (
    CardStarted,
    MollieStarted,
    PageStart,
    PaymentPageStatus,
    PesapalStart,
    RedirectStarted,
)
from billing.payments.hosted.service import hosted_checkout, page_status
from billing.payments.links.errors import PaymentLinkExpired, PaymentMethodNotAccepted
from billing.providers.base import ProviderKey
from billing.routing import TransactionalRoute
from billing.settings.errors import PaymentMethodNotEnabled

router = GatedRouter(
    prefix="/public/invoices", tags=["payment-page"], route_class=TransactionalRoute
)

START_ERRORS = error_responses(
    InvoiceNotFound,
    InvoiceNotPayable,
    InvoiceAlreadyPaid,
    AmountExceedsBalance,
    PaymentMethodNotEnabled,
    PaymentMethodNotAccepted,
    PaymentLinkExpired,
    CurrencyNotSupported,
    ProviderNotConfigured,
    ProviderFailed,
    ProviderTimeout,
)


@router.post(
    "/{public_id}/payments/pesapal",
    name="payment_page_pesapal",
    status_code=201,
    response_model=ApiResponse[RedirectStarted],
    responses=START_ERRORS,
)
async def start_pesapal_payment(
    public_id: str,
    body: PesapalStart,
    session: Session,
    providers: Providers,
    callbacks: Callbacks,
) -> Any:
    """Pay the balance with Pesapal: send the payer to ``redirect_url``; Pesapal brings them
    back to this invoice's page."""
    started = await hosted_checkout.start_pesapal(
        session,
        providers=providers,
        callbacks=callbacks,
        public_id=public_id,
        email=body.email,
        phone_number=body.phone_number,
    )
    if started.error is not None:
        # Returned rather than raised so the failed attempt is committed for the audit trail.
        return render_error(started.error)
    assert started.result is not None
    assert started.result.next_action is not None
    return ApiResponse(
        data=RedirectStarted.model_validate(
            {
                **_attempt_fields(started),
                "redirect_url": str(started.result.next_action.url),
            }
        )
    )


@router.post(
    "/{public_id}/payments/stripe",
    name="payment_page_card",
    status_code=201,
    response_model=ApiResponse[CardStarted],
    responses=START_ERRORS,
)
async def start_card_payment(
    public_id: str,
    body: PageStart,
    session: Session,
    providers: Providers,
    callbacks: Callbacks,
) -> Any:
    """Pay the balance by card: a Stripe PaymentIntent whose ``client_secret`` mounts the
    Payment Element; the signed webhook settles it, never the browser."""
    started = await hosted_checkout.start_online(
        session,
        providers=providers,
        callbacks=callbacks,
        public_id=public_id,
        provider_key=ProviderKey.STRIPE,
    )
    if started.error is not None:
        # Returned rather than raised so the failed attempt is committed for the audit trail.
        return render_error(started.error)
    assert started.result is not None
    action = started.result.next_action
    publishable = providers.build(ProviderKey.STRIPE).public_config().get("publishable_key")
    if action is None or action.client_secret is None or publishable is None:
        return error_response(502, ProviderFailed.code, "Stripe returned no client secret.")
    return ApiResponse(
        data=CardStarted.model_validate(
            {
                **_attempt_fields(started),
                "client_secret": action.client_secret,
                "publishable_key": publishable,
                "return_url": f"{callbacks.base_url}{page_url(public_id)}?paid_with=stripe",
            }
        )
    )


@router.post(
    "/{public_id}/payments/mollie",
    name="payment_page_mollie",
    status_code=201,
    response_model=ApiResponse[MollieStarted],
    responses=START_ERRORS,
)
async def start_mollie_payment(
    public_id: str,
    body: PageStart,
    session: Session,
    providers: Providers,
    callbacks: Callbacks,
) -> Any:
    """Pay the balance with Mollie: send the payer to ``checkout_url``; Mollie brings them
    back to this invoice's page and its webhook (fetched back) settles the payment."""
    started = await hosted_checkout.start_online(
        session,
        providers=providers,
        callbacks=callbacks,
        public_id=public_id,
        provider_key=ProviderKey.MOLLIE,
    )
    if started.error is not None:
        # Returned rather than raised so the failed attempt is committed for the audit trail.
        return render_error(started.error)
    assert started.result is not None
    action = started.result.next_action
    if action is None or action.url is None:
        return error_response(502, ProviderFailed.code, "Mollie returned no checkout URL.")
    return ApiResponse(
        data=MollieStarted.model_validate({**_attempt_fields(started), "checkout_url": action.url})
    )


@router.get(
    "/{public_id}/payment-status",
    name="payment_page_status",
    responses=error_responses(InvoiceNotFound),
)
async def payment_page_status(
    public_id: str,
    session: Session,
    providers: Providers,
    presentation: PresentationDep,
    attempt: Annotated[
        str | None,
        Query(max_length=64, description="An attempt of this invoice (TXN-...) to follow."),
    ] = None,
) -> ApiResponse[PaymentPageStatus]:
    """The invoice's status and amount due, and the state of an attempt of it (an open one
    is asked about at the provider, at most every few seconds)."""
    followed = await hosted_checkout.follow(
        session, providers=providers, public_id=public_id, reference=attempt
    )
    return ApiResponse(data=page_status(followed, today=presentation.today))


@router.get(
    "/{public_id}/pesapal-return",
    name="payment_page_pesapal_return",
    status_code=303,
    response_class=RedirectResponse,
    responses={
        303: {"description": "Back to the invoice's page, following the order."},
        **error_responses(InvoiceNotFound),
    },
)
async def pesapal_return_to_page(
    public_id: str,
    session: Session,
    providers: Providers,
    order_tracking_id: Annotated[str, Query(alias="OrderTrackingId", max_length=200)] = "",
    order_merchant_reference: Annotated[
        str | None, Query(alias="OrderMerchantReference", max_length=200)
    ] = None,
    order_notification_type: Annotated[
        str | None, Query(alias="OrderNotificationType", max_length=40)
    ] = None,
) -> RedirectResponse:
    """Where Pesapal sends the payer back: the order is checked with Pesapal, then the
    browser goes to the invoice's page, which shows the result."""
    reference = (
        await hosted_checkout.pesapal_return(
            session, providers=providers, public_id=public_id, tracking_id=order_tracking_id
        )
        if order_tracking_id
        else None
    )
    target = page_url(public_id) + (f"?attempt={reference}" if reference else "")
    return RedirectResponse(target, status_code=303)


def _attempt_fields(started: Started) -> dict[str, Any]:
    attempt = started.attempt
    return {
        "reference": attempt.reference,
        "status": attempt.status,
        "amount": attempt.amount,
        "currency": attempt.currency,
    }
