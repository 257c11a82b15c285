"""Taking a provider delivery in: store it once in the inbox, queue its settlement job."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth import capabilities
from billing.core.jobs import SETTLE_DELIVERY_TASK, defer
from billing.payments.callback_urls import TOKEN_PARAMETER
from billing.payments.webhooks.inbox import InboxRepository, Stored
from billing.providers.base import CallbackEvent, ProviderKey


def _json_safe(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _payload(event: CallbackEvent, body: bytes, query: Mapping[str, str]) -> dict[str, Any]:
    """What is kept of a delivery: its body, its query (never the token) and what it said."""
    try:
        parsed: object = json.loads(body) if body.strip() else {}
    except ValueError:
        parsed = {"raw": body.decode("utf-8", "replace")[:4000]}
    return {
        "body": parsed,
        "query": {key: value for key, value in query.items() if key != TOKEN_PARAMETER},
        "data": _json_safe(dict(event.data)),
        "reported_status": event.reported_status.value if event.reported_status else None,
        "reported_amount": (
            {"value": str(event.reported_amount.value), "currency": event.reported_amount.currency}
            if event.reported_amount
            else None
        ),
    }


async def receive(
    session: AsyncSession,
    provider: ProviderKey,
    event: CallbackEvent,
    body: bytes,
    query: Mapping[str, str],
    *,
    process_repeats: bool = False,
) -> Stored:
    """Store the delivery and queue its settlement (in this transaction).

    ``process_repeats``: Mollie and Pesapal send the same bare notification for every change
    of a payment, so a repeat is processed again (the job fetches the current state).
    """
    await capabilities.open_inbox(session)
    stored = await InboxRepository(session).store(
        provider.value, event, _payload(event, body, query)
    )
    if stored.new or process_repeats:
        await defer(session, SETTLE_DELIVERY_TASK, args={"event_id": str(stored.id)})
    return stored
