"""Public checkout routes (no authentication): each resolves one invoice or attempt by what the
payer holds (an invoice number, a public id, a provider reference) and works under a scope
narrowed to it."""

from __future__ import annotations

import html
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.envelope import ApiResponse, error_responses
from billing.core.errors import render_error
from billing.core.gated_router import GatedRouter
from billing.core.ratelimit import RateLimited
from billing.core.session import Session
from billing.invoices.errors import InvoiceNotFound
from billing.models.invoice import Invoice
from billing.payments.checkout.schemas import (
    AttemptRead,
    CheckoutMethod,
    MpesaInitiate,
    MpesaInitiated,
    PayableInvoice,
    PayPayload,
    PesapalInitiate,
    PesapalInitiated,
)
from billing.payments.checkout.service import checkout as checkout_service
from billing.payments.checkout.service import checkout_methods
from billing.payments.dependencies import Callbacks, Providers
from billing.payments.errors import (
    AmountExceedsBalance,
    AttemptNotFound,
    CurrencyNotSupported,
    InvalidCheckoutAmount,
    InvalidPhoneNumber,
    InvoiceAlreadyPaid,
    InvoiceNotPayable,
    PayerContactRequired,
    ProviderFailed,
    ProviderTimeout,
)
from billing.payments.ledger import invoice_balance
from billing.payments.links.errors import PaymentLinkExpired, PaymentMethodNotAccepted
from billing.providers.base import ProviderKey
from billing.providers.registry import ProviderFactory
from billing.routing import TransactionalRoute, accepts_any_query
from billing.settings.errors import PaymentMethodNotEnabled
from billing.settings.service import settings as settings_service
from billing.throttling import policies, throttle

router = GatedRouter(tags=["checkout"], route_class=TransactionalRoute)

START_ERROR_TYPES = (
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
    PaymentLinkExpired,
    PaymentMethodNotAccepted,
)


def mask_name(name: object) -> str | None:
    """``"Jane Doe"`` -> ``"J*** D**"``: enough for a payer to recognise, not to harvest."""
    if not isinstance(name, str) or not name.strip():
        return None
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())


def _payable(invoice: Invoice) -> PayableInvoice:
    return PayableInvoice(
        invoice_number=str(invoice.invoice_number),
        status=invoice.status,
        customer_name=mask_name(invoice.buyer.get("name")),
        currency=invoice.currency,
        amount_due=invoice_balance(invoice),
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
async def payable_invoice(invoice_number: str, session: Session) -> ApiResponse[PayableInvoice]:
    """An issued invoice by number: what is due, and the buyer's name masked."""
    found = await checkout_service.payable(session, number=invoice_number)
    return ApiResponse(data=_payable(found.invoice))


@router.get(
    "/invoices/{invoice_number}/pay",
    name="checkout_pay_payload",
    responses=error_responses(InvoiceNotFound),
)
async def pay_payload(invoice_number: str, session: Session) -> ApiResponse[PayPayload]:
    """What to pay and how: amount due, currency and the available methods."""
    found = await checkout_service.payable(session, number=invoice_number)
    methods = checkout_methods(await settings_service.get(session))
    return ApiResponse(data=PayPayload(**_payable(found.invoice).model_dump(), methods=methods))


async def _attempt_status(
    session: AsyncSession,
    providers: ProviderFactory,
    provider_key: ProviderKey,
    provider_ref: str,
) -> ApiResponse[AttemptRead]:
    attempt = await checkout_service.refresh(
        session, providers=providers, provider_key=provider_key, provider_ref=provider_ref
    )
    return ApiResponse(data=AttemptRead.model_validate(attempt))


@router.post(
    "/payments/mpesa/initiate",
    name="checkout_mpesa_initiate",
    status_code=201,
    response_model=ApiResponse[MpesaInitiated],
    responses=error_responses(*START_ERROR_TYPES, RateLimited),
)
async def mpesa_initiate(
    body: MpesaInitiate,
    session: Session,
    providers: Providers,
    callbacks: Callbacks,
    request: Request,
) -> Any:
    """Send an M-Pesa STK push to the payer's phone; poll the status or wait for the callback.

    Besides the per-address limit of checkout, pushes are limited per phone number and per
    invoice (429 ``rate_limited``).
    """

    async def before_push(phone: str, invoice_id: str) -> None:
        await throttle(request, policies(request).stk_phone, phone)
        await throttle(request, policies(request).stk_invoice, invoice_id)

    started = await checkout_service.start_mpesa(
        session, providers=providers, body=body, callbacks=callbacks, before_push=before_push
    )
    if started.error is not None:
        # Returned rather than raised so the failed attempt is committed for the audit trail.
        return render_error(started.error)
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
    checkout_id: str, session: Session, providers: Providers
) -> ApiResponse[AttemptRead]:
    """The STK push's unified status (asks Daraja while it is still open)."""
    return await _attempt_status(session, providers, ProviderKey.MPESA, checkout_id)


@router.post(
    "/payments/pesapal/initiate",
    name="checkout_pesapal_initiate",
    status_code=201,
    response_model=ApiResponse[PesapalInitiated],
    responses=error_responses(*START_ERROR_TYPES, PayerContactRequired),
)
async def pesapal_initiate(
    body: PesapalInitiate,
    session: Session,
    providers: Providers,
    callbacks: Callbacks,
) -> Any:
    """Create a Pesapal order; send the payer's browser to ``redirect_url``."""
    started = await checkout_service.start_pesapal(
        session, providers=providers, body=body, callbacks=callbacks
    )
    if started.error is not None:
        # Returned rather than raised so the failed attempt is committed for the audit trail.
        return render_error(started.error)
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
    tracking_id: str, session: Session, providers: Providers
) -> ApiResponse[AttemptRead]:
    """The Pesapal order's unified status (fetched from Pesapal while it is open)."""
    return await _attempt_status(session, providers, ProviderKey.PESAPAL, tracking_id)


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
@accepts_any_query
async def pesapal_return(request: Request, session: Session, providers: Providers) -> HTMLResponse:
    """Where Pesapal sends the payer's browser back: the result, checked with Pesapal."""
    tracking_id = request.query_params.get("OrderTrackingId", "")
    if not tracking_id:
        raise AttemptNotFound
    attempt = await checkout_service.refresh(
        session, providers=providers, provider_key=ProviderKey.PESAPAL, provider_ref=tracking_id
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
