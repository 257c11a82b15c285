"""Public checkout routes and provider callbacks (no authentication; capabilities only)."""

from __future__ import annotations

import html
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth.dependencies import PublicScope
from billing.checkout.callbacks import c2b_accepts, handle_mpesa, handle_pesapal
from billing.checkout.dependencies import BaseUrl, Providers
from billing.checkout.errors import (
    AttemptNotFound,
    CurrencyNotSupported,
    InvalidCheckoutAmount,
    InvalidPhoneNumber,
    ProviderFailed,
    ProviderTimeout,
)
from billing.checkout.schemas import (
    AttemptRead,
    CheckoutMethod,
    MpesaInitiate,
    MpesaInitiated,
    PayableInvoice,
    PayPayload,
    PesapalInitiate,
    PesapalInitiated,
)
from billing.checkout.service import Started, checkout_methods
from billing.checkout.service import checkout as checkout_service
from billing.core.envelope import ApiResponse, error_responses
from billing.core.errors import error_response
from billing.core.session import Session
from billing.core.tenancy import AccessScope
from billing.invoices.errors import InvoiceNotFound
from billing.models.invoice import Invoice
from billing.payments.errors import AmountExceedsBalance, InvoiceAlreadyPaid, InvoiceNotPayable
from billing.payments.ledger import invoice_balance
from billing.providers.base import CallbackVerificationError, ProviderError, ProviderKey
from billing.providers.mpesa import c2b_confirmation_ack, c2b_validation_response, callback_ack
from billing.providers.pesapal import ipn_acknowledgement
from billing.providers.registry import ProviderFactory
from billing.routing import TransactionalRoute, WebhookRoute
from billing.settings.errors import PaymentMethodNotEnabled
from billing.settings.service import settings as settings_service

router = APIRouter(tags=["checkout"], route_class=TransactionalRoute)
callbacks_router = APIRouter(prefix="/callbacks", tags=["callbacks"], route_class=WebhookRoute)

START_ERRORS = error_responses(
    InvoiceNotFound,
    InvoiceNotPayable,
    InvoiceAlreadyPaid,
    AmountExceedsBalance,
    PaymentMethodNotEnabled,
    CurrencyNotSupported,
    InvalidCheckoutAmount,
    InvalidPhoneNumber,
    ProviderFailed,
    ProviderTimeout,
)


def _payable(invoice: Invoice) -> PayableInvoice:
    return PayableInvoice(
        id=invoice.id,
        invoice_number=str(invoice.invoice_number),
        status=invoice.status,
        customer_name=invoice.buyer.get("name"),
        currency=invoice.currency,
        total_amount=invoice.total_amount,
        amount_paid=invoice.amount_paid,
        amount_due=invoice_balance(invoice),
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
    )


@router.get("/payment-methods", name="checkout_payment_methods")
async def payment_methods(session: Session) -> ApiResponse[list[CheckoutMethod]]:
    """Payment methods enabled for checkout."""
    return ApiResponse(data=checkout_methods(await settings_service.get(session)))


@router.get(
    "/invoices/{invoice_number}",
    name="checkout_invoice",
    responses=error_responses(InvoiceNotFound),
)
async def payable_invoice(
    invoice_number: str, scope: PublicScope, session: Session
) -> ApiResponse[PayableInvoice]:
    """An issued invoice by number: amounts and the buyer's name only."""
    found = await checkout_service.payable(session, scope=scope, number=invoice_number)
    return ApiResponse(data=_payable(found))


@router.get(
    "/invoices/{invoice_number}/pay",
    name="checkout_pay_payload",
    responses=error_responses(InvoiceNotFound),
)
async def pay_payload(
    invoice_number: str, scope: PublicScope, session: Session
) -> ApiResponse[PayPayload]:
    """What to pay and how: amount due, currency and the available methods."""
    found = await checkout_service.payable(session, scope=scope, number=invoice_number)
    methods = checkout_methods(await settings_service.get(session))
    return ApiResponse(data=PayPayload(**_payable(found).model_dump(), methods=methods))


async def _attempt_status(
    session: AsyncSession,
    scope: AccessScope,
    providers: ProviderFactory,
    provider_key: ProviderKey,
    provider_ref: str,
) -> ApiResponse[AttemptRead]:
    attempt = await checkout_service.refresh(
        session,
        scope=scope,
        providers=providers,
        provider_key=provider_key,
        provider_ref=provider_ref,
    )
    return ApiResponse(data=AttemptRead.model_validate(attempt))


def _failed(started: Started) -> JSONResponse | None:
    # Returned rather than raised so the failed attempt is committed for the audit trail.
    if started.error is None:
        return None
    error = started.error
    return error_response(error.status_code, error.code, error.detail_message)


@router.post(
    "/payments/mpesa/initiate",
    name="checkout_mpesa_initiate",
    status_code=201,
    response_model=ApiResponse[MpesaInitiated],
    responses=START_ERRORS,
)
async def mpesa_initiate(
    body: MpesaInitiate,
    scope: PublicScope,
    session: Session,
    providers: Providers,
    base_url: BaseUrl,
) -> Any:
    """Send an M-Pesa STK push to the payer's phone; poll the status or wait for the callback."""
    started = await checkout_service.start_mpesa(
        session, scope=scope, providers=providers, body=body, base_url=base_url
    )
    failed = _failed(started)
    if failed is not None:
        return failed
    assert started.result is not None
    read = AttemptRead.model_validate(started.attempt)
    return ApiResponse(
        data=MpesaInitiated(
            **read.model_dump(),
            checkout_request_id=started.result.provider_ref,
            customer_message=str(started.result.raw.get("customer_message") or "") or None,
        )
    )


@router.get(
    "/payments/mpesa/{checkout_id}/status",
    name="checkout_mpesa_status",
    responses=error_responses(AttemptNotFound),
)
async def mpesa_status(
    checkout_id: str, scope: PublicScope, session: Session, providers: Providers
) -> ApiResponse[AttemptRead]:
    """The STK push's unified status (asks Daraja while it is still open)."""
    return await _attempt_status(session, scope, providers, ProviderKey.MPESA, checkout_id)


@router.post(
    "/payments/pesapal/initiate",
    name="checkout_pesapal_initiate",
    status_code=201,
    response_model=ApiResponse[PesapalInitiated],
    responses=START_ERRORS,
)
async def pesapal_initiate(
    body: PesapalInitiate,
    scope: PublicScope,
    session: Session,
    providers: Providers,
    base_url: BaseUrl,
) -> Any:
    """Create a Pesapal order; send the payer's browser to ``redirect_url``."""
    started = await checkout_service.start_pesapal(
        session, scope=scope, providers=providers, body=body, base_url=base_url
    )
    failed = _failed(started)
    if failed is not None:
        return failed
    assert started.result is not None
    assert started.result.next_action is not None
    read = AttemptRead.model_validate(started.attempt)
    return ApiResponse(
        data=PesapalInitiated(
            **read.model_dump(),
            order_tracking_id=started.result.provider_ref,
            redirect_url=str(started.result.next_action.url),
        )
    )


@router.get(
    "/payments/pesapal/{tracking_id}/status",
    name="checkout_pesapal_status",
    responses=error_responses(AttemptNotFound),
)
async def pesapal_status(
    tracking_id: str, scope: PublicScope, session: Session, providers: Providers
) -> ApiResponse[AttemptRead]:
    """The Pesapal order's unified status (fetched from Pesapal while it is open)."""
    return await _attempt_status(session, scope, providers, ProviderKey.PESAPAL, tracking_id)


_RESULT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 36rem; margin: 3rem auto; color: #1a1a1a">
<main><h1>{title}</h1><p>{message}</p>
<p>Reference: <strong>{reference}</strong></p></main></body></html>
"""
_TITLES = {
    "succeeded": ("Payment received", "Thank you: your payment was received."),
    "failed": ("Payment failed", "The payment did not go through. You can try again."),
    "cancelled": ("Payment cancelled", "The payment was cancelled."),
    "expired": ("Payment expired", "The payment request expired. You can try again."),
}


@router.get(
    "/payments/pesapal/return",
    name="checkout_pesapal_return",
    response_class=HTMLResponse,
    responses=error_responses(AttemptNotFound),
)
async def pesapal_return(
    request: Request, scope: PublicScope, session: Session, providers: Providers
) -> HTMLResponse:
    """Where Pesapal sends the payer's browser back: the result, checked with Pesapal."""
    tracking_id = request.query_params.get("OrderTrackingId", "")
    if not tracking_id:
        raise AttemptNotFound
    attempt = await checkout_service.refresh(
        session,
        scope=scope,
        providers=providers,
        provider_key=ProviderKey.PESAPAL,
        provider_ref=tracking_id,
    )
    title, message = _TITLES.get(
        attempt.status,
        ("Payment pending", "We are waiting for Pesapal to confirm your payment."),
    )
    return HTMLResponse(
        _RESULT_PAGE.format(
            title=html.escape(title),
            message=html.escape(message),
            reference=html.escape(attempt.reference),
        )
    )


# -- callbacks --------------------------------------------------------------------------


async def _mpesa_delivery(
    request: Request, scope: PublicScope, session: Session, providers: Providers, kind: str
) -> JSONResponse:
    body = await request.body()
    query = {**dict(request.query_params), "kind": kind} if kind else dict(request.query_params)
    try:
        await handle_mpesa(
            session,
            scope=scope,
            providers=providers,
            body=body,
            headers=dict(request.headers),
            query=query,
        )
    except CallbackVerificationError as exc:
        return error_response(400, "callback_invalid", exc.message)
    return JSONResponse(c2b_confirmation_ack() if kind else callback_ack())


@callbacks_router.post(
    "/mpesa",
    name="callbacks_mpesa",
    responses=error_responses(400),
)
async def mpesa_callback(
    request: Request, scope: PublicScope, session: Session, providers: Providers
) -> JSONResponse:
    """Daraja STK push result: stored once, matched to its CheckoutRequestID and amount."""
    return await _mpesa_delivery(request, scope, session, providers, "")


@callbacks_router.post(
    "/mpesa/confirmation",
    name="callbacks_mpesa_confirmation",
    responses=error_responses(400),
)
async def mpesa_confirmation(
    request: Request, scope: PublicScope, session: Session, providers: Providers
) -> JSONResponse:
    """Daraja C2B confirmation: a Paybill payment whose account reference is an invoice number."""
    return await _mpesa_delivery(request, scope, session, providers, "c2b_confirmation")


@callbacks_router.post(
    "/mpesa/validation",
    name="callbacks_mpesa_validation",
    responses=error_responses(400),
)
async def mpesa_validation(
    request: Request, scope: PublicScope, session: Session, providers: Providers
) -> JSONResponse:
    """Daraja C2B validation: accept only payments naming an open KES invoice."""
    try:
        event = await providers.mpesa().parse_callback(
            await request.body(), dict(request.headers), {"kind": "c2b_validation"}
        )
    except CallbackVerificationError as exc:
        return error_response(400, "callback_invalid", exc.message)
    accept = await c2b_accepts(session, scope=scope, event=event)
    return JSONResponse(c2b_validation_response(accept, reject_code="C2B00012"))


async def _pesapal_ipn(
    request: Request, scope: PublicScope, session: Session, providers: Providers
) -> JSONResponse:
    try:
        event, _ = await handle_pesapal(
            session,
            scope=scope,
            providers=providers,
            body=await request.body(),
            headers=dict(request.headers),
            query=dict(request.query_params),
        )
    except CallbackVerificationError as exc:
        return error_response(400, "callback_invalid", exc.message)
    except ProviderError as exc:
        # Pesapal retries an IPN answered with status 500; the sweep also re-checks the order.
        tracking = request.query_params.get("OrderTrackingId", "")
        return JSONResponse(
            {"orderTrackingId": tracking, "status": 500, "error": f"pesapal: {exc.code}"}
        )
    return JSONResponse(ipn_acknowledgement(event))


@callbacks_router.get(
    "/pesapal/ipn", name="callbacks_pesapal_ipn_get", responses=error_responses(400)
)
async def pesapal_ipn_get(
    request: Request, scope: PublicScope, session: Session, providers: Providers
) -> JSONResponse:
    """Pesapal IPN by GET: the order is fetched back before anything changes."""
    return await _pesapal_ipn(request, scope, session, providers)


@callbacks_router.post(
    "/pesapal/ipn",
    name="callbacks_pesapal_ipn_post",
    responses=error_responses(400),
)
async def pesapal_ipn_post(
    request: Request, scope: PublicScope, session: Session, providers: Providers
) -> JSONResponse:
    """Pesapal IPN by POST: the order is fetched back before anything changes."""
    return await _pesapal_ipn(request, scope, session, providers)
