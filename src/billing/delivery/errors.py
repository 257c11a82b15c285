"""Errors of the delivery routes."""

from __future__ import annotations

from billing.core.errors import (
    BillingError,
    Conflict,
    NotFound,
    NotImplementedYet,
    Unprocessable,
)


class DeliveryNotFound(NotFound):
    """No such delivery in the caller's scope."""

    code = "delivery_not_found"
    message = "Delivery not found."


class WebhookEndpointNotFound(NotFound):
    """No such webhook endpoint."""

    code = "webhook_endpoint_not_found"
    message = "Webhook endpoint not found."


class NoRecipient(BillingError):
    """Nobody to send to: no recipient given and none on the billing profile."""

    code = "no_recipient"
    status_code = 400
    message = "No recipient: give one, or set the tenant's billing e-mail or phone."


class InvoiceNotSendable(Conflict):
    """Drafts and cancelled invoices are not sent."""

    code = "invoice_not_sendable"
    message = "Only issued, sent or paid invoices can be sent."


class NoPendingInvoices(BillingError):
    """``send-combined`` of a tenant without pending invoices."""

    code = "no_pending_invoices"
    status_code = 400
    message = "The tenant has no pending invoices."


class WhatsAppNotConfigured(NotImplementedYet):
    """No WhatsApp plugin is configured: this deployment does not offer the channel (501, as
    for a method the service knows but does not support; 503 would promise it soon)."""

    code = "whatsapp_not_configured"
    message = "WhatsApp is not configured (BILLING_WHATSAPP_PROVIDER and its credentials)."


class WebhookUrlNotAllowed(Unprocessable):
    """In production, an endpoint may not point inside the service's own network."""

    code = "webhook_url_not_allowed"
    message = "The webhook URL points inside the service's network."
