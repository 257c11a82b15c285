"""The billing cycle: renew every subscription whose period ended, then collect.

It runs as a procrastinate periodic task every minute (``billing.billing_cycle``), on demand
(``billing cycle --as-of YYYY-MM-DD``), and after the test clock moves. Any number of these can
run at once, in any number of processes:

* the work lists come from two database functions that read across tenants and return ids
  only (``billing_due_subscription_refs``, ``billing_due_collection_refs``);
* each subscription is advanced one period per transaction under its row lock, taken with
  ``SKIP LOCKED`` (a subscription another runner holds is skipped, and that runner finishes
  it), and re-checked under the lock;
* each step commits on its own, so a crash loses at most the step in flight, and the next run
  starts where it stopped: an issued renewal invoice is collected by the next collection pass,
  an attempt replayed after a crash is the same attempt at the provider.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth import capabilities
from billing.config import Settings
from billing.core.clock import today_in, utcnow
from billing.core.db import is_transient
from billing.payments.callback_urls import CallbackUrls
from billing.payments.dependencies import public_base_url
from billing.providers.registry import ProviderFactory
from billing.settings.schemas import OperatorSettings
from billing.settings.service import settings as settings_service
from billing.subscriptions.collection import Collected, collect
from billing.subscriptions.renewal import Advance, advance_once
from billing.subscriptions.repository import Ref, due_collection_refs, due_subscription_refs

logger = structlog.get_logger(__name__)

Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]

BATCH = 200
MAX_PERIODS_PER_RUN = 400
"""Periods one run advances a subscription by at most (a daily price three years behind)."""
MAX_CONFLICT_RETRIES = 3
"""Times one subscription's step runs again after a deadlock with another transaction."""


class BillingDateInFuture(ValueError):
    """``--as-of`` after the service's today: periods are billed when they come, not before."""


@dataclass(slots=True)
class CycleReport:
    """What one run did."""

    as_of: date
    periods_advanced: int = 0
    subscriptions_advanced: int = 0
    collection_steps: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CycleContext:
    """What the cycle needs: transactions (with no scope), provider plugins, deployment
    settings (callback URLs)."""

    transaction: Transaction
    providers: ProviderFactory
    settings: Settings


async def _operator_settings(context: CycleContext) -> tuple[OperatorSettings, date, str]:
    async with context.transaction() as session:
        current = await settings_service.get(session)
        base = await public_base_url(session, context.settings)
    return current, today_in(current.timezone), base


async def run_cycle(context: CycleContext, *, as_of: date | None = None) -> CycleReport:
    """Advance every subscription due by ``as_of`` (the service's today when left out) as
    far as it is due, then take every collection step that is due."""
    settings, today, base_url = await _operator_settings(context)
    if as_of is not None and as_of > today:
        raise BillingDateInFuture(f"{as_of} is after today ({today}) in {settings.timezone}.")
    report = CycleReport(as_of=as_of or today)
    after: uuid.UUID | None = None
    while True:
        async with context.transaction() as session:
            refs = await due_subscription_refs(
                session, today=report.as_of, after=after, limit=BATCH
            )
        for ref in refs:
            await advance_subscription(
                context, ref, as_of=report.as_of, settings=settings, report=report
            )
        if len(refs) < BATCH:
            break
        after = refs[-1].id
    await collect_due(context, settings=settings, today=today, base_url=base_url, report=report)
    return report


async def advance_subscription(
    context: CycleContext,
    ref: Ref,
    *,
    as_of: date,
    settings: OperatorSettings,
    report: CycleReport,
) -> None:
    """Advance one subscription period by period, one transaction each, until it is not due."""
    advanced = 0
    conflicts = 0
    while advanced < MAX_PERIODS_PER_RUN:
        try:
            async with context.transaction() as session:
                scope = await capabilities.for_tenant(session, ref.tenant_id)
                outcome = await advance_once(session, scope, ref.id, today=as_of, settings=settings)
        except Exception as exc:  # one subscription's failure must not stop the others
            # Another worker's transaction (a collection step, a second cycle) may deadlock
            # with this one; PostgreSQL rolled this one back, and the step runs again.
            if is_transient(exc) and conflicts < MAX_CONFLICT_RETRIES:
                conflicts += 1
                continue
            logger.warning(
                "subscription_advance_failed", subscription_id=str(ref.id), error=repr(exc)
            )
            report.errors.append(f"subscription {ref.id}: {exc}")
            break
        if outcome not in (Advance.ADVANCED, Advance.CAUGHT_UP):
            break
        advanced += 1
        report.periods_advanced += 1
        if outcome is Advance.CAUGHT_UP:
            break
    if advanced:
        report.subscriptions_advanced += 1


async def collect_due(
    context: CycleContext,
    *,
    settings: OperatorSettings,
    today: date,
    base_url: str,
    report: CycleReport,
) -> None:
    """Take every collection step that is due now."""
    callbacks = CallbackUrls(base_url, context.settings)
    after: uuid.UUID | None = None
    while True:
        async with context.transaction() as session:
            refs = await due_collection_refs(
                session, now=utcnow(), today=today, after=after, limit=BATCH
            )
        for ref in refs:
            outcome = await collect_one(
                context, ref, settings=settings, today=today, callbacks=callbacks, report=report
            )
            report.collection_steps[outcome] = report.collection_steps.get(outcome, 0) + 1
        if len(refs) < BATCH:
            break
        after = refs[-1].id


async def collect_one(
    context: CycleContext,
    ref: Ref,
    *,
    settings: OperatorSettings,
    today: date,
    callbacks: CallbackUrls,
    report: CycleReport | None = None,
) -> str:
    """One collection step of one subscription invoice, in its own transaction."""
    try:
        async with context.transaction() as session:
            scope = await capabilities.for_tenant(session, ref.tenant_id)
            outcome = await collect(
                session,
                scope,
                ref.id,
                providers=context.providers,
                callbacks=callbacks,
                settings=settings,
                today=today,
            )
    except Exception as exc:  # one invoice's failure must not stop the others
        logger.warning("subscription_collection_failed", record_id=str(ref.id), error=repr(exc))
        if report is not None:
            report.errors.append(f"collection {ref.id}: {exc}")
        return "error"
    return Collected(outcome).value


async def advance_one(context: CycleContext, ref: Ref) -> CycleReport:
    """Advance one subscription as far as it is due (the job deferred when one is created
    in the past or resumed), then collect what that issued."""
    settings, today, base_url = await _operator_settings(context)
    report = CycleReport(as_of=today)
    await advance_subscription(context, ref, as_of=today, settings=settings, report=report)
    await collect_due(context, settings=settings, today=today, base_url=base_url, report=report)
    return report


async def collect_record(context: CycleContext, ref: Ref) -> str:
    """One collection step of one subscription invoice (the job deferred when a change issues
    an invoice to charge)."""
    settings, today, base_url = await _operator_settings(context)
    return await collect_one(
        context,
        ref,
        settings=settings,
        today=today,
        callbacks=CallbackUrls(base_url, context.settings),
    )
