"""Every provider delivery: authenticate, store once, queue the settlement job, acknowledge.

Nothing here calls a provider or touches a payment: a delivery says only *that* something may
have changed. The route authenticates it (Stripe's signature; for the unsigned providers the
secret token of the URL we gave them, plus for M-Pesa the configured shortcode and optional
source networks), stores it in the inbox (``ON CONFLICT DO NOTHING``), defers the settlement
job in the same transaction and answers the provider's acknowledgement at once. The job
(``billing.payments.webhooks.processing``) fetches the truth from the provider before anything
moves. A wrong or missing token answers 404 and stores nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from billing.config import Settings
from billing.core.envelope import error_responses
from billing.core.errors import error_response
from billing.core.gated_router import GatedRouter
from billing.core.network import client_address, in_networks
from billing.core.schemas import ReadSchema
from billing.core.session import Session
from billing.payments.callback_urls import TOKEN_PARAMETER, token_valid
from billing.payments.dependencies import Providers
from billing.payments.errors import CallbackNotFound
from billing.payments.webhooks.c2b import c2b_accepts
from billing.payments.webhooks.receive import receive
from billing.providers.base import CallbackEvent, CallbackVerificationError, ProviderKey
from billing.providers.mpesa import (
    MpesaProvider,
    c2b_confirmation_ack,
    c2b_validation_response,
    callback_ack,
)
from billing.providers.mpesa.provider import TRANSACTION_STATUS_KIND
from billing.providers.pesapal import ipn_acknowledgement
from billing.routing import WebhookRoute

callbacks_router = GatedRouter(prefix="/callbacks", tags=["webhooks"], route_class=WebhookRoute)
webhooks_router = GatedRouter(prefix="/webhooks", tags=["webhooks"], route_class=WebhookRoute)

DELIVERY_ERRORS = error_responses(400, CallbackNotFound)


class WebhookReceived(ReadSchema):
    """The acknowledgement providers wait for (any 2xx for Stripe, exactly 200 for Mollie)."""

    received: bool = True


def _token_guard(provider: ProviderKey) -> Any:
    async def check(request: Request) -> None:
        settings: Settings = request.app.state.settings
        if not token_valid(settings, provider, request.query_params.get(TOKEN_PARAMETER)):
            raise CallbackNotFound

    check.__name__ = f"require_{provider.value}_token"
    return Depends(check)


async def _mpesa_source(request: Request) -> None:
    """Defence in depth: when ``BILLING_MPESA_ALLOWED_SOURCES`` is set, only those networks."""
    settings: Settings = request.app.state.settings
    networks = settings.mpesa_source_networks
    if networks and not in_networks(
        client_address(request, settings.trusted_proxy_networks), networks
    ):
        raise CallbackNotFound


MPESA_GUARDS = [_token_guard(ProviderKey.MPESA), Depends(_mpesa_source)]


def _invalid(exc: CallbackVerificationError) -> JSONResponse:
    return error_response(400, "callback_invalid", exc.message)


# -- Stripe and Mollie -------------------------------------------------------------------


@webhooks_router.post(
    "/stripe", name="webhooks_stripe", response_model=WebhookReceived, responses=DELIVERY_ERRORS
)
async def stripe_webhook(request: Request, session: Session, providers: Providers) -> Any:
    """Stripe events, verified by ``Stripe-Signature`` first (400, nothing stored, when the
    signature, its timestamp or the body is wrong), stored once by event id, settled by a job
    that fetches the object from Stripe."""
    body = await request.body()
    try:
        event = await providers.build(ProviderKey.STRIPE).parse_callback(
            body, dict(request.headers), {}
        )
    except CallbackVerificationError as exc:
        return error_response(400, "webhook_invalid", f"{exc.code}: {exc.message}")
    await receive(session, ProviderKey.STRIPE, event, body, {})
    return WebhookReceived()


@webhooks_router.post(
    "/mollie",
    name="webhooks_mollie",
    response_model=WebhookReceived,
    responses=DELIVERY_ERRORS,
    dependencies=[_token_guard(ProviderKey.MOLLIE)],
)
async def mollie_webhook(request: Request, session: Session, providers: Providers) -> Any:
    """Mollie's ``id=tr_...`` notification (URL token required): stored, and the payment is
    fetched back from Mollie by a job before anything changes."""
    body = await request.body()
    try:
        event = await providers.build(ProviderKey.MOLLIE).parse_callback(
            body, dict(request.headers), {}
        )
    except CallbackVerificationError as exc:
        return error_response(400, "webhook_invalid", f"{exc.code}: {exc.message}")
    await receive(session, ProviderKey.MOLLIE, event, body, {}, process_repeats=True)
    return WebhookReceived()


# -- M-Pesa ------------------------------------------------------------------------------


async def _mpesa_event(
    request: Request, providers: Providers, kind: str
) -> tuple[CallbackEvent, bytes, dict[str, str]]:
    body = await request.body()
    query = dict(request.query_params)
    if kind:
        query["kind"] = kind
    event = await providers.build(ProviderKey.MPESA).parse_callback(
        body, dict(request.headers), query
    )
    return event, body, query


@callbacks_router.post(
    "/mpesa", name="callbacks_mpesa", responses=DELIVERY_ERRORS, dependencies=MPESA_GUARDS
)
async def mpesa_callback(request: Request, session: Session, providers: Providers) -> JSONResponse:
    """Daraja STK push result (URL token required): stored once per result, confirmed with
    STK Query by the settlement job before anything changes."""
    try:
        event, body, query = await _mpesa_event(request, providers, "")
    except CallbackVerificationError as exc:
        return _invalid(exc)
    await receive(session, ProviderKey.MPESA, event, body, query)
    return JSONResponse(callback_ack())


def _own_shortcode(providers: Providers, event: CallbackEvent) -> bool:
    config = providers.build_as(ProviderKey.MPESA, MpesaProvider).config
    return str(event.data.get("business_shortcode") or "") in {
        config.shortcode,
        config.till_or_paybill,
    }


@callbacks_router.post(
    "/mpesa/confirmation",
    name="callbacks_mpesa_confirmation",
    responses=DELIVERY_ERRORS,
    dependencies=MPESA_GUARDS,
)
async def mpesa_confirmation(
    request: Request, session: Session, providers: Providers
) -> JSONResponse:
    """Daraja C2B confirmation (URL token and our shortcode required): a Paybill payment whose
    account reference is an invoice number. It is applied only once Daraja's Transaction
    Status confirms the ``TransID`` and amount; otherwise it is held for reconciliation."""
    try:
        event, body, query = await _mpesa_event(request, providers, "c2b_confirmation")
    except CallbackVerificationError as exc:
        return _invalid(exc)
    if not _own_shortcode(providers, event):
        return error_response(400, "callback_invalid", "BusinessShortCode is not ours.")
    await receive(session, ProviderKey.MPESA, event, body, query)
    return JSONResponse(c2b_confirmation_ack())


@callbacks_router.post(
    "/mpesa/validation",
    name="callbacks_mpesa_validation",
    responses=DELIVERY_ERRORS,
    dependencies=MPESA_GUARDS,
)
async def mpesa_validation(
    request: Request, session: Session, providers: Providers
) -> JSONResponse:
    """Daraja C2B validation (URL token required): accept only payments naming an open KES
    invoice by its number, for at most its balance. Nothing is stored."""
    try:
        event, _, _ = await _mpesa_event(request, providers, "c2b_validation")
    except CallbackVerificationError as exc:
        return _invalid(exc)
    accept = _own_shortcode(providers, event) and await c2b_accepts(session, event=event)
    return JSONResponse(c2b_validation_response(accept, reject_code="C2B00012"))


@callbacks_router.post(
    "/mpesa/transaction-status",
    name="callbacks_mpesa_transaction_status",
    responses=DELIVERY_ERRORS,
    dependencies=MPESA_GUARDS,
)
async def mpesa_transaction_status(
    request: Request, session: Session, providers: Providers
) -> JSONResponse:
    """Daraja's answer to our Transaction Status query about a C2B payment (URL token
    required): it confirms or refuses the held confirmation it names."""
    try:
        event, body, query = await _mpesa_event(request, providers, TRANSACTION_STATUS_KIND)
    except CallbackVerificationError as exc:
        return _invalid(exc)
    await receive(session, ProviderKey.MPESA, event, body, query)
    return JSONResponse(callback_ack())


# -- Pesapal -----------------------------------------------------------------------------


async def _pesapal_ipn(
    request: Request, session: Session, providers: Providers, token: str | None
) -> JSONResponse:
    settings: Settings = request.app.state.settings
    if not token_valid(settings, ProviderKey.PESAPAL, token):
        raise CallbackNotFound
    body = await request.body()
    query = dict(request.query_params)
    try:
        event = await providers.build(ProviderKey.PESAPAL).parse_callback(
            body, dict(request.headers), query
        )
    except CallbackVerificationError as exc:
        return _invalid(exc)
    await receive(session, ProviderKey.PESAPAL, event, body, query, process_repeats=True)
    return JSONResponse(ipn_acknowledgement(event))


@callbacks_router.get(
    "/pesapal/ipn/{token}", name="callbacks_pesapal_ipn_get", responses=DELIVERY_ERRORS
)
async def pesapal_ipn_get(
    token: str, request: Request, session: Session, providers: Providers
) -> JSONResponse:
    """Pesapal IPN by GET (the URL's last segment is the token): stored, and the order is
    fetched back with GetTransactionStatus by a job before anything changes."""
    return await _pesapal_ipn(request, session, providers, token)


@callbacks_router.post(
    "/pesapal/ipn/{token}", name="callbacks_pesapal_ipn_post", responses=DELIVERY_ERRORS
)
async def pesapal_ipn_post(
    token: str, request: Request, session: Session, providers: Providers
) -> JSONResponse:
    """Pesapal IPN by POST (the URL's last segment is the token): as the GET form."""
    return await _pesapal_ipn(request, session, providers, token)


@callbacks_router.get(
    "/pesapal/ipn", name="callbacks_pesapal_ipn_get_query", responses=DELIVERY_ERRORS
)
async def pesapal_ipn_get_query(
    request: Request, session: Session, providers: Providers
) -> JSONResponse:
    """Pesapal IPN by GET on the seed path, with the token as ``?token=``."""
    return await _pesapal_ipn(
        request, session, providers, request.query_params.get(TOKEN_PARAMETER)
    )


@callbacks_router.post(
    "/pesapal/ipn", name="callbacks_pesapal_ipn_post_query", responses=DELIVERY_ERRORS
)
async def pesapal_ipn_post_query(
    request: Request, session: Session, providers: Providers
) -> JSONResponse:
    """Pesapal IPN by POST on the seed path, with the token as ``?token=``."""
    return await _pesapal_ipn(
        request, session, providers, request.query_params.get(TOKEN_PARAMETER)
    )
