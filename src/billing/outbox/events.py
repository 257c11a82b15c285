"""Emitting an event: one call where a change happens, e.g. ::

    await events.emit(session, EventType.INVOICE_PAID, tenant_id=invoice.tenant_id,
                      object_type="invoice", object_id=invoice.id, payload=read)

When an enabled webhook endpoint subscribed to the type, the event is stored with the next
sequence number of its object and the API representation ``await payload()`` returns (asked only
then: an operator without endpoints pays one cached read per transaction), and each such
endpoint gets a delivery in the outbox, sent after commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models.delivery import OutboundEvent
from billing.models.states import DeliveryChannel, DeliveryKind, EventType
from billing.outbox.queue import enqueue
from billing.outbox.repository import OutboxWriter, WebhookEndpointRepository

_ENDPOINTS_KEY = "outbox.endpoints"
"""Where a transaction keeps the enabled endpoints it read (``session.info``)."""


async def _subscribers(session: AsyncSession, event_type: EventType) -> list[uuid.UUID]:
    cached: list[tuple[uuid.UUID, tuple[str, ...]]] | None = session.info.get(_ENDPOINTS_KEY)
    if cached is None:
        endpoints = await WebhookEndpointRepository(session).enabled()
        cached = [(endpoint.id, tuple(endpoint.event_types)) for endpoint in endpoints]
        session.info[_ENDPOINTS_KEY] = cached
    return [endpoint_id for endpoint_id, types in cached if not types or event_type.value in types]


def forget_endpoints(session: AsyncSession) -> None:
    """Drop the endpoints this transaction cached (it has just changed them)."""
    session.info.pop(_ENDPOINTS_KEY, None)


async def emit(
    session: AsyncSession,
    event_type: EventType,
    *,
    tenant_id: uuid.UUID,
    object_type: str,
    object_id: uuid.UUID,
    payload: Callable[[], Awaitable[BaseModel | dict[str, Any]]],
    invoice_id: uuid.UUID | None = None,
) -> OutboundEvent | None:
    """Record ``event_type`` about one object and queue it for every subscribed endpoint, in
    the caller's transaction; None when no endpoint wants it. ``invoice_id`` lists the
    deliveries with the invoice they are about."""
    subscribers = await _subscribers(session, event_type)
    if not subscribers:
        return None
    data = await payload()
    body = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    writer = OutboxWriter(session)
    event = OutboundEvent(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        type=event_type,
        object_type=object_type,
        object_id=object_id,
        sequence=await writer.next_sequence(tenant_id, object_id),
        payload=body,
    )
    writer.add(event)
    await writer.flush()
    for endpoint_id in subscribers:
        await enqueue(
            session,
            tenant_id=tenant_id,
            channel=DeliveryChannel.WEBHOOK,
            kind=DeliveryKind.EVENT,
            recipients=[],
            event_id=event.id,
            event_type=event_type.value,
            endpoint_id=endpoint_id,
            invoice_id=invoice_id,
            flush=False,
        )
    await writer.flush()
    return event
