"""Seed 004's customer notification through the outbox: the customer named when a payment
link was created hears of it by e-mail (and WhatsApp, when configured and a phone was given),
queued in the creating transaction and sent after commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.config import Settings
from billing.core.money import format_money
from billing.delivery.whatsapp.registry import configured as whatsapp_configured
from billing.models.states import DeliveryChannel, DeliveryKind
from billing.outbox.queue import enqueue
from billing.payments.links.notifications import PaymentLinkCreated


class OutboxNotifier:
    """Implements ``billing.payments.links.notifications.PaymentLinkNotifier``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def payment_link_created(self, session: AsyncSession, event: PaymentLinkCreated) -> None:
        """One outbox row per channel the customer can be reached on."""
        details = {
            "language": event.language.lower(),
            "number": event.invoice_number,
            "amount_due": format_money(event.amount_due, event.currency),
            "link": event.payment_link_url,
            "recipient_name": event.customer_name or "",
        }
        if event.customer_email:
            await enqueue(
                session,
                tenant_id=event.tenant_id,
                channel=DeliveryChannel.EMAIL,
                kind=DeliveryKind.PAYMENT_LINK,
                recipients=[event.customer_email],
                details=details,
                invoice_id=event.invoice_id,
                created_by="payment_link",
            )
        if event.customer_phone and whatsapp_configured(self.settings):
            await enqueue(
                session,
                tenant_id=event.tenant_id,
                channel=DeliveryChannel.WHATSAPP,
                kind=DeliveryKind.PAYMENT_LINK,
                recipients=[event.customer_phone],
                details=details,
                invoice_id=event.invoice_id,
                created_by="payment_link",
            )
