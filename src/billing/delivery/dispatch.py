"""The delivery job: build one message, send it with no transaction open, record the attempt.

1. In a first transaction (the delivery's tenant only), the pending delivery is read and its
   message built: the webhook signed, the e-mail composed with its documents (which renders
   and stores them like a download), the WhatsApp request prepared. A message that can never
   be built (no recipient, endpoint deleted, e-invoice incomplete) fails for good here.
2. The message is sent with no transaction and no row lock held.
3. A second transaction locks the delivery, appends the attempt (outcome, response code,
   error, duration) and moves it on: delivered; failed for good; or retried after an
   exponential delay with jitter, by a job deferred in that same transaction, until three days
   after it was written.

A worker that dies between 2 and 3 leaves the job ``doing``; procrastinate's stalled-job
recovery runs it again (the message may go twice: delivery is at least once, and webhook
receivers deduplicate on ``webhook-id``). The sweep re-queues any pending delivery whose job
was lost. A job that finds its delivery delivered, failed or not due yet does nothing, so a
duplicate job is harmless.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth import capabilities
from billing.core.clock import wall_now
from billing.core.tenancy import AccessScope
from billing.delivery import webhooks
from billing.delivery.context import DeliveryContext, Send
from billing.delivery.email.prepare import prepare_email
from billing.delivery.secrets import unseal
from billing.delivery.transport import AttemptResult, Obsolete, PermanentFailure
from billing.delivery.whatsapp.prepare import prepare_whatsapp
from billing.models.delivery import Delivery, DeliveryAttempt
from billing.models.states import AttemptOutcome, DeliveryChannel, DeliveryStatus
from billing.outbox.queue import backoff, schedule
from billing.outbox.repository import DeliveryRepository, OutboxWriter, WebhookEndpointRepository

logger = structlog.get_logger(__name__)

EARLY_SLACK = timedelta(seconds=1)
"""A job may start this much before its delivery's time (clocks of two hosts)."""

Prepare = Callable[[AsyncSession, AccessScope, Delivery, DeliveryContext], Awaitable[Send]]


async def prepare_webhook(
    session: AsyncSession, scope: AccessScope, delivery: Delivery, context: DeliveryContext
) -> Send:
    """Sign the event for its endpoint (current secret, and the previous one in its grace
    period)."""
    if delivery.endpoint_id is None or delivery.event_id is None:
        raise PermanentFailure("The webhook endpoint was deleted.")
    endpoint = await WebhookEndpointRepository(session).get(delivery.endpoint_id)
    if endpoint is None:
        raise PermanentFailure("The webhook endpoint was deleted.")
    if not endpoint.enabled:
        raise PermanentFailure("The webhook endpoint is disabled.")
    event = await DeliveryRepository(session, scope).event(delivery.event_id)
    if event is None:  # pragma: no cover - a foreign key keeps the event
        raise PermanentFailure("The event is gone.")
    secrets = [unseal(context.settings, endpoint.secret_encrypted)]
    if (
        endpoint.previous_secret_encrypted is not None
        and endpoint.previous_secret_expires_at is not None
        and endpoint.previous_secret_expires_at > wall_now()
    ):
        secrets.append(unseal(context.settings, endpoint.previous_secret_encrypted))
    request = webhooks.sign(endpoint.url, str(event.id), webhooks.event_body(event), secrets)
    timeout = context.settings.webhook_timeout_seconds

    async def send() -> AttemptResult:
        return await webhooks.post(context.http, request, timeout_seconds=timeout)

    return send


PREPARERS: dict[DeliveryChannel, Prepare] = {
    DeliveryChannel.WEBHOOK: prepare_webhook,
    DeliveryChannel.EMAIL: prepare_email,
    DeliveryChannel.WHATSAPP: prepare_whatsapp,
}


async def deliver(
    context: DeliveryContext, tenant_id: str, delivery_id: str
) -> DeliveryStatus | None:
    """One attempt at one delivery; returns its status afterwards (None: nothing was due)."""
    tenant = uuid.UUID(tenant_id)
    delivery_uuid = uuid.UUID(delivery_id)
    send: Send | None = None
    result: AttemptResult | None = None
    async with context.transaction() as session:
        scope = await capabilities.for_tenant(session, tenant)
        delivery = await DeliveryRepository(session, scope).get(delivery_uuid)
        if delivery is None or delivery.status is not DeliveryStatus.PENDING:
            return None
        if (
            delivery.next_attempt_at is not None
            and delivery.next_attempt_at > wall_now() + EARLY_SLACK
        ):
            return None  # a duplicate job; the delivery's own job comes later
        try:
            send = await PREPARERS[delivery.channel](session, scope, delivery, context)
        except Obsolete as exc:
            result = AttemptResult(ok=False, error=str(exc), permanent=True, obsolete=True)
        except PermanentFailure as exc:
            result = AttemptResult.failed(str(exc), permanent=True)
    started = time.monotonic()
    if send is not None:
        result = await send()
    assert result is not None
    duration_ms = int((time.monotonic() - started) * 1000)
    async with context.transaction() as session:
        scope = await capabilities.for_tenant(session, tenant)
        delivery = await DeliveryRepository(session, scope).get(delivery_uuid, for_update=True)
        if delivery is None:  # pragma: no cover - deliveries are never deleted
            return None
        await record(session, delivery, result, duration_ms, context)
        return delivery.status


async def record(
    session: AsyncSession,
    delivery: Delivery,
    result: AttemptResult,
    duration_ms: int,
    context: DeliveryContext,
) -> None:
    """Append the attempt and move the (locked) delivery on."""
    now = wall_now()
    number = delivery.attempt_count + 1
    writer = OutboxWriter(session)
    writer.add(
        DeliveryAttempt(
            id=uuid.uuid4(),
            tenant_id=delivery.tenant_id,
            delivery_id=delivery.id,
            number=number,
            outcome=AttemptOutcome.SUCCEEDED if result.ok else AttemptOutcome.FAILED,
            response_code=result.response_code,
            error=result.error,
            duration_ms=duration_ms,
            attempted_at=now,
        )
    )
    delivery.attempt_count = number
    delivery.last_response_code = result.response_code
    delivery.last_error = result.error
    if result.ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    else:
        delay = timedelta(
            seconds=backoff(
                number,
                base=context.settings.delivery_retry_base_seconds,
                cap=context.settings.delivery_retry_max_seconds,
            )
        )
        if result.obsolete:
            delivery.status = DeliveryStatus.CANCELLED
            delivery.next_attempt_at = None
        elif result.permanent or now + delay > delivery.expires_at:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + delay
            await schedule(session, delivery, delay=delay)
    await writer.flush()
    logger.info(
        "delivery_attempt",
        delivery_id=str(delivery.id),
        channel=delivery.channel.value,
        attempt=number,
        ok=result.ok,
        response_code=result.response_code,
        status=delivery.status.value,
    )
