"""The settlement job of one inbox delivery: what the delivery is about decides which truth is
fetched from the provider, and only that truth is applied.

Runs in the worker, in its own transaction, opened on the inbox only: the scope is narrowed to
the one tenant and object the delivery resolves to (``billing.auth.capabilities``) before
anything is read or written there. Safe to run any number of times.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth import capabilities
from billing.config import Settings
from billing.models.webhook_event import WebhookEvent
from billing.payments.methods.service import payment_method as payment_method_service
from billing.payments.settlement.service import Outcome, settlement
from billing.payments.webhooks import c2b
from billing.payments.webhooks.inbox import InboxRepository
from billing.providers.base import (
    CallbackKind,
    ProviderError,
    ProviderKey,
    ProviderUnavailableError,
)
from billing.providers.registry import ProviderFactory


class DeliveryOutcome(StrEnum):
    """Outcomes of deliveries that settle nothing themselves."""

    MISSING = "missing"
    IGNORED = "ignored"


async def process_delivery(
    session: AsyncSession,
    *,
    providers: ProviderFactory,
    settings: Settings,
    base_url: str,
    event_id: uuid.UUID,
) -> str:
    """Settle what one stored delivery is about; records and returns the outcome.

    Raises:
        ProviderUnavailableError: the provider could not be asked; the job is retried.
    """
    await capabilities.open_inbox(session)
    inbox = InboxRepository(session)
    event = await inbox.get(event_id)
    if event is None:
        return DeliveryOutcome.MISSING
    try:
        outcome = await _dispatch(session, providers, settings, base_url, event)
    except ProviderUnavailableError:
        raise
    except ProviderError as exc:
        # The provider refused the fetch (an id it does not know, say): nothing to apply.
        outcome = f"provider_refused:{exc.code}"
    await inbox.mark_processed(event.id, outcome)
    return outcome


async def _dispatch(
    session: AsyncSession,
    providers: ProviderFactory,
    settings: Settings,
    base_url: str,
    event: WebhookEvent,
) -> str:
    provider = ProviderKey(event.provider)
    ref = event.provider_ref or ""
    if provider is ProviderKey.STRIPE:
        return await _stripe(session, providers, event.kind, ref)
    if provider is ProviderKey.MOLLIE:
        outcome = await settlement.confirm(
            session, providers=providers, provider=provider, provider_ref=ref
        )
        if outcome is Outcome.UNKNOWN_ATTEMPT:
            # A Mollie first payment that saves a mandate is a setup, not a charge of ours.
            return await payment_method_service.sync_setup(
                session, providers=providers, provider=provider, setup_ref=ref
            )
        return outcome
    if provider is ProviderKey.PESAPAL:
        return await settlement.confirm(
            session, providers=providers, provider=provider, provider_ref=ref
        )
    if event.kind is CallbackKind.PAYMENT:
        receipt = (event.payload.get("data") or {}).get("receipt")
        return await settlement.confirm(
            session,
            providers=providers,
            provider=provider,
            provider_ref=ref,
            # A label from an authenticated delivery; the money follows STK Query only.
            labels={"receipt": receipt} if isinstance(receipt, str) and receipt else None,
        )
    if event.kind is CallbackKind.C2B_CONFIRMATION:
        return await c2b.request_confirmation(
            session, providers=providers, settings=settings, base_url=base_url, confirmation=event
        )
    if event.kind is CallbackKind.TRANSACTION_STATUS:
        return await c2b.apply_confirmation(session, providers=providers, answer=event)
    return DeliveryOutcome.IGNORED


async def _stripe(session: AsyncSession, providers: ProviderFactory, kind: str, ref: str) -> str:
    if kind in ("payment", "refund"):
        return await settlement.confirm(
            session, providers=providers, provider=ProviderKey.STRIPE, provider_ref=ref
        )
    if kind is CallbackKind.SETUP:
        return await payment_method_service.sync_setup(
            session, providers=providers, provider=ProviderKey.STRIPE, setup_ref=ref
        )
    if kind is CallbackKind.METHOD_DETACHED:
        return await payment_method_service.detached_at_provider(
            session, provider=ProviderKey.STRIPE, method_ref=ref
        )
    return DeliveryOutcome.IGNORED
