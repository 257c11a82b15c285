"""Sending invoices (e-mail, WhatsApp, the combined PDF), reading the outbox, retrying.

Each send writes an outbox row in the request's transaction (nothing goes out before commit,
nothing for a rolled-back request); the message itself is built and sent by the job."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from billing.billing_profiles.repository import BillingProfileRepository
from billing.config import Settings
from billing.core.clock import wall_now
from billing.core.pagination import PageOf, PageParams
from billing.core.tenancy import AccessScope
from billing.delivery.documents import attachment_formats
from billing.delivery.errors import (
    DeliveryNotFound,
    InvoiceNotSendable,
    NoPendingInvoices,
    NoRecipient,
    WhatsAppNotConfigured,
)
from billing.delivery.schemas import DeliveryAttemptRead, DeliveryRead
from billing.delivery.whatsapp.registry import configured as whatsapp_configured
from billing.invoices.service import invoice as invoice_service
from billing.models.delivery import Delivery, DeliveryAttempt
from billing.models.invoice import Invoice
from billing.models.states import DeliveryChannel, DeliveryKind, DeliveryStatus, InvoiceStatus
from billing.outbox.queue import DELIVERY_LIFETIME, enqueue, schedule
from billing.outbox.repository import DeliveryRepository, PendingInvoiceReader
from billing.tenants.repository import TenantRepository

SENDABLE = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.SENT, InvoiceStatus.PAID})


@dataclass(frozen=True, slots=True)
class DeliveryFilters:
    """Filters of the outbox list."""

    tenant_id: uuid.UUID | None = None
    invoice_id: uuid.UUID | None = None
    channel: DeliveryChannel | None = None
    status: DeliveryStatus | None = None
    event_type: str | None = None
    endpoint_id: uuid.UUID | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def read(delivery: Delivery, attempts: Sequence[DeliveryAttempt] = ()) -> DeliveryRead:
    """The API representation of a delivery and its attempts."""
    shown = DeliveryRead.model_validate(delivery)
    shown.attempts = [DeliveryAttemptRead.model_validate(attempt) for attempt in attempts]
    return shown


class DeliveryService:
    """The outbox as staff and tenants use it."""

    async def send_email(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        invoice: Invoice,
        recipients: list[str] | None,
        created_by: str,
    ) -> Delivery:
        """Queue the invoice by e-mail (its PDF and the profile's e-invoice) to ``recipients``
        or the billing contact; an issued invoice becomes sent."""
        self._check_sendable(invoice)
        profile = await BillingProfileRepository(session, scope).get(invoice.tenant_id)
        if not recipients:
            contact = profile.billing_email if profile else None
            if contact is None:
                tenant = await TenantRepository(session, scope).get(invoice.tenant_id)
                contact = tenant.email if tenant else None
            recipients = [contact] if contact else []
        if not recipients:
            raise NoRecipient
        formats = attachment_formats(
            profile.preferred_einvoice_format if profile else None,
            attach_einvoice=bool(profile and profile.attach_einvoice_to_email),
        )
        delivery = await enqueue(
            session,
            tenant_id=invoice.tenant_id,
            channel=DeliveryChannel.EMAIL,
            kind=DeliveryKind.INVOICE,
            recipients=recipients,
            details={
                "language": (profile.language if profile else None) or invoice.language,
                "formats": [document_format.value for document_format in formats],
                "recipient_name": (profile.contact_name if profile else None)
                or invoice.buyer.get("name"),
            },
            invoice_id=invoice.id,
            created_by=created_by,
        )
        await invoice_service.mark_sent(session, invoice=invoice)
        return delivery

    async def send_whatsapp(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        settings: Settings,
        invoice: Invoice,
        phone: str | None,
        created_by: str,
    ) -> Delivery:
        """Queue the invoice's PDF over WhatsApp; an issued invoice becomes sent."""
        self._check_sendable(invoice)
        phone, language = await self._whatsapp_target(session, scope, settings, invoice, phone)
        delivery = await enqueue(
            session,
            tenant_id=invoice.tenant_id,
            channel=DeliveryChannel.WHATSAPP,
            kind=DeliveryKind.INVOICE,
            recipients=[phone],
            details={"language": language or invoice.language},
            invoice_id=invoice.id,
            created_by=created_by,
        )
        await invoice_service.mark_sent(session, invoice=invoice)
        return delivery

    async def send_combined(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        settings: Settings,
        invoice: Invoice,
        phone: str | None,
        created_by: str,
    ) -> tuple[Delivery, list[uuid.UUID]]:
        """Queue one PDF of every pending invoice of the invoice's tenant over WhatsApp. The
        PDF is rendered in memory when sent; nothing but the outbox row is written."""
        pending = await PendingInvoiceReader(session, scope).pending(invoice.tenant_id)
        if not pending:
            raise NoPendingInvoices
        phone, language = await self._whatsapp_target(session, scope, settings, invoice, phone)
        ids = [item.id for item in pending]
        delivery = await enqueue(
            session,
            tenant_id=invoice.tenant_id,
            channel=DeliveryChannel.WHATSAPP,
            kind=DeliveryKind.COMBINED,
            recipients=[phone],
            details={
                "language": language,
                "invoice_ids": [str(value) for value in ids],
                "filename": f"invoices-{invoice.tenant_id}.pdf",
                "caption": ", ".join(item.invoice_number or "" for item in pending),
            },
            invoice_id=invoice.id,
            created_by=created_by,
        )
        return delivery, ids

    async def get(
        self, session: AsyncSession, *, scope: AccessScope, delivery_id: uuid.UUID
    ) -> DeliveryRead:
        """A delivery with its attempts."""
        repository = DeliveryRepository(session, scope)
        delivery = await repository.get(delivery_id)
        if delivery is None:
            raise DeliveryNotFound
        attempts = await repository.attempts([delivery.id])
        return read(delivery, attempts.get(delivery.id, []))

    async def list(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        filters: DeliveryFilters,
        page: PageParams,
    ) -> tuple[PageOf[Delivery], dict[uuid.UUID, list[DeliveryAttempt]]]:
        """A page of deliveries, newest first, and their attempts (two statements)."""
        repository = DeliveryRepository(session, scope)
        result = await repository.list_page(
            page=page,
            tenant_id=filters.tenant_id,
            invoice_id=filters.invoice_id,
            channel=filters.channel,
            status=filters.status,
            event_type=filters.event_type,
            endpoint_id=filters.endpoint_id,
            created_from=filters.created_from,
            created_to=filters.created_to,
        )
        attempts = await repository.attempts([item.id for item in result.items])
        return result, attempts

    async def retry(
        self, session: AsyncSession, *, scope: AccessScope, delivery_id: uuid.UUID
    ) -> DeliveryRead:
        """Send a delivery again now, whatever its state (a delivered webhook is replayed with
        the same ``webhook-id``); it is retried for three more days."""
        repository = DeliveryRepository(session, scope)
        delivery = await repository.get(delivery_id, for_update=True)
        if delivery is None:
            raise DeliveryNotFound
        now = wall_now()
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now
        delivery.expires_at = max(delivery.expires_at, now + DELIVERY_LIFETIME)
        await repository.flush()
        await schedule(session, delivery)
        attempts = await repository.attempts([delivery.id])
        return read(delivery, attempts.get(delivery.id, []))

    def _check_sendable(self, invoice: Invoice) -> None:
        if invoice.status not in SENDABLE:
            raise InvoiceNotSendable(
                f"Only issued, sent or paid invoices can be sent; this one is {invoice.status}."
            )

    async def _whatsapp_target(
        self,
        session: AsyncSession,
        scope: AccessScope,
        settings: Settings,
        invoice: Invoice,
        phone: str | None,
    ) -> tuple[str, str | None]:
        if not whatsapp_configured(settings):
            raise WhatsAppNotConfigured
        profile = await BillingProfileRepository(session, scope).get(invoice.tenant_id)
        phone = phone or (profile.phone if profile else None) or invoice.buyer.get("phone")
        if not phone:
            raise NoRecipient("No phone number: give one, or set the billing profile's phone.")
        return phone, profile.language if profile else None


delivery = DeliveryService()
