"""Delivery routes: the outbox (``/api/v1/admin/deliveries``), the operator's webhook
endpoints (``/api/v1/admin/webhook-endpoints``), and sending invoices by e-mail and WhatsApp
(staff under ``/api/v1/admin/invoices``, tenants under ``/api/v1/billing/invoices``)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel

from billing.app_settings import AppSettings
from billing.auth.dependencies import CurrentPrincipal, StaffScope, TenantScope, require
from billing.auth.principal import Permission
from billing.core.envelope import ApiResponse, ListResponse, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.pagination import Page
from billing.core.schemas import IsoDateTime
from billing.core.session import Session
from billing.delivery.dependencies import TenantInvoiceForUpdate, operator_only
from billing.delivery.endpoints import webhook_endpoint as endpoint_service
from billing.delivery.errors import (
    DeliveryNotFound,
    InvoiceNotSendable,
    NoPendingInvoices,
    NoRecipient,
    WebhookEndpointNotFound,
    WebhookUrlNotAllowed,
    WhatsAppNotConfigured,
)
from billing.delivery.schemas import (
    CombinedSent,
    DeliveryRead,
    InvoiceSendRequest,
    InvoiceSent,
    SecretRotation,
    WebhookEndpointCreate,
    WebhookEndpointRead,
    WebhookEndpointSecret,
    WebhookEndpointUpdate,
    WhatsAppSendRequest,
)
from billing.delivery.service import DeliveryFilters, read
from billing.delivery.service import delivery as delivery_service
from billing.invoices.dependencies import StaffInvoice, StaffInvoiceForUpdate
from billing.invoices.errors import InvoiceNotFound
from billing.models.states import DeliveryChannel, DeliveryStatus, EventType
from billing.routing import TransactionalRoute

deliveries_router = GatedRouter(
    prefix="/deliveries", tags=["deliveries"], route_class=TransactionalRoute
)
endpoints_router = GatedRouter(
    prefix="/webhook-endpoints",
    tags=["webhook-endpoints"],
    route_class=TransactionalRoute,
    dependencies=[Depends(operator_only)],
)
admin_invoices_router = GatedRouter(
    prefix="/invoices", tags=["invoices"], route_class=TransactionalRoute
)
tenant_invoices_router = GatedRouter(
    prefix="/invoices", tags=["billing-invoices"], route_class=TransactionalRoute
)

Reads = [require(Permission.INVOICES_READ)]
Writes = [require(Permission.INVOICES_WRITE)]
SettingsReads = [require(Permission.SETTINGS_READ)]
SettingsWrites = [require(Permission.SETTINGS_WRITE)]


def _filters(
    tenant_id: uuid.UUID | None = None,
    invoice_id: uuid.UUID | None = None,
    channel: DeliveryChannel | None = None,
    status: DeliveryStatus | None = None,
    event_type: EventType | None = None,
    endpoint_id: uuid.UUID | None = None,
    created_from: Annotated[IsoDateTime | None, Query(description="Created at or after.")] = None,
    created_to: Annotated[IsoDateTime | None, Query(description="Created at or before.")] = None,
) -> DeliveryFilters:
    return DeliveryFilters(
        tenant_id=tenant_id,
        invoice_id=invoice_id,
        channel=channel,
        status=status,
        event_type=event_type.value if event_type else None,
        endpoint_id=endpoint_id,
        created_from=created_from,
        created_to=created_to,
    )


Filters = Annotated[DeliveryFilters, Depends(_filters)]


@deliveries_router.get("", name="deliveries_list", dependencies=Reads)
async def list_deliveries(
    scope: StaffScope, session: Session, page: Page, filters: Filters
) -> ListResponse[DeliveryRead]:
    """The outbox, newest first: every e-mail, WhatsApp message and webhook with its
    attempts (outcome, response code, error)."""
    result, attempts = await delivery_service.list(session, scope=scope, filters=filters, page=page)
    return ListResponse.from_page(
        result, page=page, read=lambda item: read(item, attempts.get(item.id, []))
    )


@deliveries_router.get(
    "/{delivery_id}",
    name="deliveries_get",
    dependencies=Reads,
    responses=error_responses(DeliveryNotFound),
)
async def get_delivery(
    delivery_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[DeliveryRead]:
    """One delivery with its attempts."""
    return ApiResponse(
        data=await delivery_service.get(session, scope=scope, delivery_id=delivery_id)
    )


@deliveries_router.post(
    "/{delivery_id}/retry",
    name="deliveries_retry",
    dependencies=Writes,
    responses=error_responses(DeliveryNotFound),
)
async def retry_delivery(
    delivery_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[DeliveryRead]:
    """Send a delivery again after commit (a failed one, or a webhook replayed with the
    same ``webhook-id``)."""
    return ApiResponse(
        data=await delivery_service.retry(session, scope=scope, delivery_id=delivery_id)
    )


@admin_invoices_router.get(
    "/{invoice_id}/deliveries",
    name="invoices_deliveries",
    dependencies=Reads,
    responses=error_responses(InvoiceNotFound),
)
async def list_invoice_deliveries(
    invoice: StaffInvoice, scope: StaffScope, session: Session, page: Page
) -> ListResponse[DeliveryRead]:
    """What was sent about an invoice (e-mails, WhatsApp, webhooks), newest first."""
    result, attempts = await delivery_service.list(
        session, scope=scope, filters=DeliveryFilters(invoice_id=invoice.id), page=page
    )
    return ListResponse.from_page(
        result, page=page, read=lambda item: read(item, attempts.get(item.id, []))
    )


_SEND_ERRORS = error_responses(InvoiceNotFound, InvoiceNotSendable, NoRecipient)


@admin_invoices_router.post(
    "/{invoice_id}/send", name="invoices_send", dependencies=Writes, responses=_SEND_ERRORS
)
async def send_invoice(
    invoice: StaffInvoiceForUpdate,
    scope: StaffScope,
    principal: CurrentPrincipal,
    session: Session,
    body: InvoiceSendRequest | None = None,
) -> ApiResponse[InvoiceSent]:
    """E-mail the invoice (PDF, and the billing profile's e-invoice) to ``recipients`` or
    the billing contact, after commit; issued becomes sent."""
    queued = await delivery_service.send_email(
        session,
        scope=scope,
        invoice=invoice,
        recipients=[str(value) for value in body.recipients] if body and body.recipients else None,
        created_by=principal.key,
    )
    return ApiResponse(
        data=InvoiceSent(invoice_id=invoice.id, status=invoice.status.value, delivery=read(queued))
    )


_WHATSAPP_ERRORS = error_responses(
    InvoiceNotFound, InvoiceNotSendable, NoRecipient, WhatsAppNotConfigured
)


@admin_invoices_router.post(
    "/{invoice_id}/send-whatsapp",
    name="invoices_send_whatsapp",
    dependencies=Writes,
    responses=_WHATSAPP_ERRORS,
)
async def send_invoice_whatsapp(
    invoice: StaffInvoiceForUpdate,
    scope: StaffScope,
    principal: CurrentPrincipal,
    session: Session,
    settings: AppSettings,
    body: WhatsAppSendRequest | None = None,
) -> ApiResponse[InvoiceSent]:
    """Send the invoice PDF over WhatsApp (seed 003) to ``phone`` or the profile's phone."""
    queued = await delivery_service.send_whatsapp(
        session,
        scope=scope,
        settings=settings,
        invoice=invoice,
        phone=body.phone if body else None,
        created_by=principal.key,
    )
    return ApiResponse(
        data=InvoiceSent(invoice_id=invoice.id, status=invoice.status.value, delivery=read(queued))
    )


@admin_invoices_router.post(
    "/{invoice_id}/send-combined",
    name="invoices_send_combined",
    dependencies=Writes,
    responses=error_responses(
        InvoiceNotFound, NoPendingInvoices, NoRecipient, WhatsAppNotConfigured
    ),
)
async def send_combined_invoices(
    invoice: StaffInvoice,
    scope: StaffScope,
    principal: CurrentPrincipal,
    session: Session,
    settings: AppSettings,
    body: WhatsAppSendRequest | None = None,
) -> ApiResponse[CombinedSent]:
    """One PDF of every pending invoice of this invoice's tenant over WhatsApp (seed 003),
    rendered in memory when sent; only the outbox row is written."""
    queued, ids = await delivery_service.send_combined(
        session,
        scope=scope,
        settings=settings,
        invoice=invoice,
        phone=body.phone if body else None,
        created_by=principal.key,
    )
    return ApiResponse(
        data=CombinedSent(tenant_id=invoice.tenant_id, invoice_ids=ids, delivery=read(queued))
    )


@tenant_invoices_router.post(
    "/{invoice_id}/send",
    name="billing_invoices_send",
    dependencies=[require(Permission.BILLING_WRITE)],
    responses=_SEND_ERRORS,
)
async def send_my_invoice(
    invoice: TenantInvoiceForUpdate,
    scope: TenantScope,
    principal: CurrentPrincipal,
    session: Session,
) -> ApiResponse[InvoiceSent]:
    """E-mail the invoice to the billing contact (seed 002): the PDF and, per the billing
    profile, the e-invoice; issued (finalized) becomes sent."""
    queued = await delivery_service.send_email(
        session, scope=scope, invoice=invoice, recipients=None, created_by=principal.key
    )
    return ApiResponse(
        data=InvoiceSent(invoice_id=invoice.id, status=invoice.status.value, delivery=read(queued))
    )


@endpoints_router.post(
    "",
    name="webhook_endpoints_create",
    status_code=201,
    dependencies=SettingsWrites,
    responses=error_responses(WebhookUrlNotAllowed),
)
async def create_webhook_endpoint(
    body: WebhookEndpointCreate, session: Session, settings: AppSettings
) -> ApiResponse[WebhookEndpointSecret]:
    """Add an endpoint; its signing secret is in this response only."""
    return ApiResponse(data=await endpoint_service.create(session, settings=settings, body=body))


@endpoints_router.get("", name="webhook_endpoints_list", dependencies=SettingsReads)
async def list_webhook_endpoints(
    session: Session, page: Page, enabled: bool | None = None
) -> ListResponse[WebhookEndpointRead]:
    """The endpoints, newest first (never their secrets)."""
    result = await endpoint_service.list(session, enabled=enabled, page=page)
    return ListResponse.from_page(result, page=page, read=WebhookEndpointRead.model_validate)


_ENDPOINT_NOT_FOUND = error_responses(WebhookEndpointNotFound)


@endpoints_router.get(
    "/{endpoint_id}",
    name="webhook_endpoints_get",
    dependencies=SettingsReads,
    responses=_ENDPOINT_NOT_FOUND,
)
async def get_webhook_endpoint(
    endpoint_id: uuid.UUID, session: Session
) -> ApiResponse[WebhookEndpointRead]:
    """One endpoint."""
    found = await endpoint_service.get(session, endpoint_id=endpoint_id)
    return ApiResponse(data=WebhookEndpointRead.model_validate(found))


@endpoints_router.patch(
    "/{endpoint_id}",
    name="webhook_endpoints_update",
    dependencies=SettingsWrites,
    responses=error_responses(WebhookEndpointNotFound, WebhookUrlNotAllowed),
)
async def update_webhook_endpoint(
    endpoint_id: uuid.UUID, body: WebhookEndpointUpdate, session: Session, settings: AppSettings
) -> ApiResponse[WebhookEndpointRead]:
    """Change the URL, description, event types or enabled flag."""
    updated = await endpoint_service.update(
        session, settings=settings, endpoint_id=endpoint_id, body=body
    )
    return ApiResponse(data=WebhookEndpointRead.model_validate(updated))


@endpoints_router.post(
    "/{endpoint_id}/rotate-secret",
    name="webhook_endpoints_rotate_secret",
    dependencies=SettingsWrites,
    responses=_ENDPOINT_NOT_FOUND,
)
async def rotate_webhook_secret(
    endpoint_id: uuid.UUID,
    session: Session,
    settings: AppSettings,
    body: SecretRotation | None = None,
) -> ApiResponse[WebhookEndpointSecret]:
    """A new secret (in this response only); the previous one keeps signing beside it for
    ``grace_period_hours``."""
    hours = body.grace_period_hours if body else SecretRotation().grace_period_hours
    rotated = await endpoint_service.rotate(
        session, settings=settings, endpoint_id=endpoint_id, grace_period=timedelta(hours=hours)
    )
    return ApiResponse(data=rotated)


@endpoints_router.post(
    "/{endpoint_id}/disable",
    name="webhook_endpoints_disable",
    dependencies=SettingsWrites,
    responses=_ENDPOINT_NOT_FOUND,
)
async def disable_webhook_endpoint(
    endpoint_id: uuid.UUID, session: Session
) -> ApiResponse[WebhookEndpointRead]:
    """Stop sending to the endpoint."""
    changed = await endpoint_service.set_enabled(session, endpoint_id=endpoint_id, enabled=False)
    return ApiResponse(data=WebhookEndpointRead.model_validate(changed))


@endpoints_router.post(
    "/{endpoint_id}/enable",
    name="webhook_endpoints_enable",
    dependencies=SettingsWrites,
    responses=_ENDPOINT_NOT_FOUND,
)
async def enable_webhook_endpoint(
    endpoint_id: uuid.UUID, session: Session
) -> ApiResponse[WebhookEndpointRead]:
    """Send to the endpoint again (events from now on)."""
    changed = await endpoint_service.set_enabled(session, endpoint_id=endpoint_id, enabled=True)
    return ApiResponse(data=WebhookEndpointRead.model_validate(changed))


class DeletedWebhookEndpoint(BaseModel):
    """What was deleted."""

    id: uuid.UUID
    deleted: bool = True


@endpoints_router.delete(
    "/{endpoint_id}",
    name="webhook_endpoints_delete",
    dependencies=SettingsWrites,
    responses=_ENDPOINT_NOT_FOUND,
)
async def delete_webhook_endpoint(
    endpoint_id: uuid.UUID, session: Session
) -> ApiResponse[DeletedWebhookEndpoint]:
    """Delete an endpoint; its delivery history stays."""
    await endpoint_service.delete(session, endpoint_id=endpoint_id)
    return ApiResponse(data=DeletedWebhookEndpoint(id=endpoint_id))
