"""Every statement of the outbox: deliveries, their attempts, events, per-object sequence
numbers, webhook endpoints and sent notices."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from billing.core.keyset import SortOrder
from billing.core.pagination import PageOf, PageParams
from billing.core.repository import Repository
from billing.models.delivery import (
    Delivery,
    DeliveryAttempt,
    InvoiceNotice,
    OutboundEvent,
    WebhookEndpoint,
)
from billing.models.invoice import Invoice
from billing.models.states import DeliveryChannel, DeliveryStatus, InvoiceStatus
from billing.repositories import ScopedRepository, scope_filter

_NEXT_SEQUENCE = text(
    "INSERT INTO object_sequences (tenant_id, object_id, last_sequence)"
    " VALUES (:tenant_id, :object_id, 1)"
    " ON CONFLICT (tenant_id, object_id)"
    " DO UPDATE SET last_sequence = object_sequences.last_sequence + 1"
    " RETURNING last_sequence"
)


class OutboxWriter(Repository[Delivery]):
    """Inserts into the outbox tables. It reads nothing tenant-owned, so it needs no scope:
    row-level security checks each row against the transaction's scope on the way in."""

    model = Delivery

    async def next_sequence(self, tenant_id: uuid.UUID, object_id: uuid.UUID) -> int:
        """The next event number of one object; the counter row stays locked until commit,
        so concurrent events of one object are numbered one after the other."""
        value = await self.session.scalar(
            _NEXT_SEQUENCE, {"tenant_id": tenant_id, "object_id": object_id}
        )
        return int(value)

    def add(self, row: OutboundEvent | Delivery | DeliveryAttempt) -> None:
        """Add a row (flushed with the next flush)."""
        self.session.add(row)

    async def add_notice(self, tenant_id: uuid.UUID, invoice_id: uuid.UUID, step: str) -> bool:
        """Record that ``step`` was sent for an invoice; False when it already was (by this or
        another worker: the unique index decides)."""
        statement = (
            insert(InvoiceNotice)
            .values(id=uuid.uuid4(), tenant_id=tenant_id, invoice_id=invoice_id, step=step)
            .on_conflict_do_nothing(index_elements=["tenant_id", "invoice_id", "step"])
            .returning(InvoiceNotice.id)
        )
        return (await self.session.scalar(statement)) is not None


class WebhookEndpointRepository(Repository[WebhookEndpoint]):
    """The operator's webhook endpoints (operator configuration: no tenant, no RLS)."""

    model = WebhookEndpoint

    async def get(
        self, endpoint_id: uuid.UUID, *, for_update: bool = False
    ) -> WebhookEndpoint | None:
        """One endpoint."""
        statement = self.base_statement().where(WebhookEndpoint.id == endpoint_id)
        if for_update:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def enabled(self) -> Sequence[WebhookEndpoint]:
        """Every enabled endpoint."""
        return await self.get_all(self.base_statement().where(WebhookEndpoint.enabled.is_(True)))

    async def list_page(self, *, enabled: bool | None, page: PageParams) -> PageOf[WebhookEndpoint]:
        """A page of endpoints, newest first."""
        statement = self.base_statement()
        if enabled is not None:
            statement = statement.where(WebhookEndpoint.enabled.is_(enabled))
        return await self.paginate(
            statement,
            page,
            SortOrder(
                "-created_at", WebhookEndpoint.created_at, WebhookEndpoint.id, descending=True
            ),
        )

    async def delete(self, endpoint: WebhookEndpoint) -> None:
        """Remove the endpoint (its deliveries keep their history, without the endpoint)."""
        await self.session.delete(endpoint)


class DeliveryRepository(ScopedRepository[Delivery]):
    """Deliveries visible in the scope."""

    model = Delivery

    async def get(self, delivery_id: uuid.UUID, *, for_update: bool = False) -> Delivery | None:
        """One delivery."""
        statement = self.base_statement().where(Delivery.id == delivery_id)
        if for_update:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def list_page(
        self,
        *,
        page: PageParams,
        tenant_id: uuid.UUID | None = None,
        invoice_id: uuid.UUID | None = None,
        channel: DeliveryChannel | None = None,
        status: DeliveryStatus | None = None,
        event_type: str | None = None,
        endpoint_id: uuid.UUID | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
    ) -> PageOf[Delivery]:
        """A page of deliveries, newest first, filtered."""
        statement = self.base_statement()
        conditions: list[Any] = []
        if tenant_id is not None:
            conditions.append(Delivery.tenant_id == tenant_id)
        if invoice_id is not None:
            conditions.append(Delivery.invoice_id == invoice_id)
        if channel is not None:
            conditions.append(Delivery.channel == channel)
        if status is not None:
            conditions.append(Delivery.status == status)
        if event_type is not None:
            conditions.append(Delivery.event_type == event_type)
        if endpoint_id is not None:
            conditions.append(Delivery.endpoint_id == endpoint_id)
        if created_from is not None:
            conditions.append(Delivery.created_at >= created_from)
        if created_to is not None:
            conditions.append(Delivery.created_at <= created_to)
        if conditions:
            statement = statement.where(*conditions)
        return await self.paginate(
            statement,
            page,
            SortOrder("-created_at", Delivery.created_at, Delivery.id, descending=True),
        )

    async def attempts(
        self, delivery_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[DeliveryAttempt]]:
        """The attempts of these deliveries, oldest first (one statement)."""
        if not delivery_ids:
            return {}
        statement = select(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(delivery_ids))
        clause = scope_filter(DeliveryAttempt.tenant_id, self.scope)
        if clause is not None:
            statement = statement.where(clause)
        rows = (
            await self.session.execute(
                statement.order_by(DeliveryAttempt.delivery_id, DeliveryAttempt.number)
            )
        ).scalars()
        grouped: dict[uuid.UUID, list[DeliveryAttempt]] = {}
        for row in rows:
            grouped.setdefault(row.delivery_id, []).append(row)
        return grouped

    async def event(self, event_id: uuid.UUID) -> OutboundEvent | None:
        """The event a webhook delivery carries."""
        statement = select(OutboundEvent).where(OutboundEvent.id == event_id)
        clause = scope_filter(OutboundEvent.tenant_id, self.scope)
        if clause is not None:
            statement = statement.where(clause)
        return (await self.session.execute(statement)).scalar_one_or_none()


class PendingInvoiceReader(ScopedRepository[Invoice]):
    """Invoices read for a message (the combined PDF of a tenant's pending invoices)."""

    model = Invoice

    def eager_options(self) -> Sequence[ExecutableOption]:
        """Lines (the PDF prints them)."""
        return (selectinload(Invoice.items),)

    async def by_ids(self, ids: Sequence[uuid.UUID]) -> list[Invoice]:
        """The visible invoices among ``ids``, in that order."""
        if not ids:
            return []
        rows = {
            row.id: row
            for row in await self.get_all(self.base_statement().where(Invoice.id.in_(ids)))
        }
        return [rows[value] for value in ids if value in rows]

    async def pending(self, tenant_id: uuid.UUID) -> list[Invoice]:
        """A tenant's open invoices (issued or sent, with a balance), oldest due first."""
        statement = self.base_statement().where(
            Invoice.tenant_id == tenant_id,
            Invoice.status.in_((InvoiceStatus.ISSUED, InvoiceStatus.SENT)),
            Invoice.total_amount - Invoice.amount_credited - Invoice.amount_paid > 0,
        )
        return list(
            await self.get_all(statement.order_by(Invoice.due_date, Invoice.issue_date, Invoice.id))
        )
