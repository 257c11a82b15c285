"""Stripe and Mollie webhooks: verified or fetched back, stored once, applied once.

* Stripe signs its events: ``parse_callback`` verifies ``Stripe-Signature`` over the raw body
  before anything else, and a forged, stale or altered delivery is refused with nothing stored.
  Each event is stored once by its id; a repeated event is acknowledged and ignored.
* Mollie's classic webhook says only ``id=tr_...``: nothing in it is trusted. Each delivery is
  stored, and the payment is fetched back with our own key before anything changes.

Events only say *that* something changed; what changed is always read from the provider (the
PaymentIntent with its latest charge, the Mollie payment, the SetupIntent or mandate), so
repeated and out-of-order deliveries converge on the provider's current state, and settlement
under the attempt's row lock keeps every change exactly-once and monotonic. A provider that
cannot be reached makes the delivery fail (nothing stored), so the provider retries it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.cards.refunds import reconcile_refunds
from billing.checkout.inbox import mark_processed, store_event
from billing.checkout.settlement import apply_result
from billing.core.tenancy import AccessScope
from billing.payment_methods.errors import upstream_error
from billing.payment_methods.service import payment_method as payment_method_service
from billing.payments.ledger import TransactionStatus
from billing.payments.repository import TransactionRepository
from billing.providers.base import CallbackEvent, PaymentProvider, ProviderError, ProviderKey
from billing.providers.registry import ProviderFactory


async def handle_stripe(
    session: AsyncSession,
    *,
    scope: AccessScope,
    providers: ProviderFactory,
    body: bytes,
    headers: Mapping[str, str],
) -> str:
    """Verify, store and apply one Stripe event; returns what it changed.

    Raises:
        CallbackVerificationError: bad signature, stale timestamp or altered body.
    """
    plugin = providers.stripe()
    event = await plugin.parse_callback(body, headers, {})
    event_id = await store_event(
        session, ProviderKey.STRIPE.value, event, {"event": json.loads(body)}
    )
    if event_id is None:
        return "duplicate"
    try:
        outcome = await _apply_stripe(session, scope, plugin, event)
    except ProviderError as exc:
        raise upstream_error(plugin.display_name, exc, "the webhook's fetch") from exc
    await mark_processed(session, event_id, outcome)
    return outcome


async def _apply_stripe(
    session: AsyncSession, scope: AccessScope, plugin: PaymentProvider, event: CallbackEvent
) -> str:
    if event.kind in ("payment", "refund"):
        return await sync_payment(
            session, scope=scope, plugin=plugin, provider_ref=event.provider_ref
        )
    if event.kind == "setup":
        return await payment_method_service.sync_setup(
            session, scope=scope, plugin=plugin, setup_ref=event.provider_ref
        )
    if event.kind == "method_detached":
        return await payment_method_service.detached_at_provider(
            session, scope=scope, provider=ProviderKey.STRIPE, method_ref=event.provider_ref
        )
    return "ignored"


async def handle_mollie(
    session: AsyncSession,
    *,
    scope: AccessScope,
    providers: ProviderFactory,
    body: bytes,
    headers: Mapping[str, str],
) -> str:
    """Store one Mollie delivery and apply the payment's fetched state; returns the outcome.

    A recurring or one-off charge of ours is settled (paid, failed, refunded amounts); a first
    payment of a setup stores its mandate as the method. Ids we never created are acknowledged
    without a fetch: there is nothing of ours to update.

    Raises:
        CallbackVerificationError: the delivery carries no payment id.
    """
    plugin = providers.mollie()
    event = await plugin.parse_callback(body, headers, {})
    payload: dict[str, Any] = {"body": body.decode("utf-8", "replace")[:4000]}
    event_id = await store_event(session, ProviderKey.MOLLIE.value, event, payload)
    try:
        outcome = await sync_payment(
            session, scope=scope, plugin=plugin, provider_ref=event.provider_ref
        )
        if outcome == "unknown_attempt":
            outcome = await payment_method_service.sync_setup(
                session, scope=scope, plugin=plugin, setup_ref=event.provider_ref
            )
    except ProviderError as exc:
        raise upstream_error(plugin.display_name, exc, "the webhook's fetch") from exc
    if event_id is not None:
        await mark_processed(session, event_id, outcome)
    return outcome


async def sync_payment(
    session: AsyncSession, *, scope: AccessScope, plugin: PaymentProvider, provider_ref: str
) -> str:
    """Fetch a payment of ours and apply it: the charge's status, then refunded amounts.

    Refunds are reconciled before and after settling: before, so that a full refund of a
    recorded payment keeps the details of the refund asked through the API; after, for a
    payment this very fetch has just recorded.
    """
    attempt = await TransactionRepository(session, scope).by_provider_ref(
        plugin.key.value, provider_ref, for_update=True
    )
    if attempt is None:
        return "unknown_attempt"
    result = await plugin.get_payment(provider_ref)
    refunded = None
    if attempt.status == TransactionStatus.SUCCEEDED.value:
        refunded = await reconcile_refunds(session, scope=scope, attempt=attempt, result=result)
    outcome = await apply_result(session, scope=scope, attempt=attempt, result=result)
    refunded = await reconcile_refunds(session, scope=scope, attempt=attempt, result=result) or (
        refunded
    )
    return refunded or outcome
