"""Turning a subscription's pending charges into an issued invoice, or a wallet credit.

Invoices are made by the invoices domain from ordinary lines (product, tax rules, totals
engine, gap-free number at issue), so a subscription invoice is an invoice like any other.
What the tenant's wallet holds pays it first; what is left is collected by ``collection``
(automatic charge) or by the tenant (``send_invoice``).

A credit (the unused days of a downgrade or a cancellation) is a line of ``-1 x amount`` on the
next invoice. When credits exceed what an invoice would charge, an invoice cannot carry them
(its total would be negative): they go to the tenant's wallet instead, gross of VAT computed by
the same totals engine, and pay the next invoices from there.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth.principal import Principal, Role
from billing.core.clock import utcnow
from billing.core.jobs import COLLECT_SUBSCRIPTION_INVOICE_TASK, defer
from billing.core.money import round_money
from billing.core.tenancy import AccessScope
from billing.invoices.presenter import balance
from billing.invoices.schemas import InvoiceCreate, LineInput
from billing.invoices.service import invoice as invoice_service
from billing.metering.timing import start_of
from billing.models.catalog import BillingTiming
from billing.models.invoice import Invoice
from billing.models.states import InvoiceStatus, WalletEntryKind
from billing.models.subscription import (
    ChargeKind,
    ChargeState,
    CollectionMethod,
    CollectionState,
    Subscription,
    SubscriptionCharge,
    SubscriptionInvoice,
    SubscriptionInvoiceKind,
)
from billing.payments.ledger import credit_wallet, pay_from_wallet
from billing.payments.repository import wallet_balance
from billing.settings.schemas import OperatorSettings
from billing.subscriptions.ledger import ZERO, Catalog, LineSource, line_input, load_catalog
from billing.subscriptions.repository import ChargeRepository, SubscriptionInvoiceRepository
from billing.subscriptions.schedule import Period
from billing.subscriptions.usage import bill as bill_usage
from billing.subscriptions.usage import usage_input

BILLING_CYCLE = Principal(
    kind="user", subject="billing-cycle", role=Role.ADMIN, permissions=frozenset()
)
"""Who creates subscription invoices (``created_by`` ``user:billing-cycle``; the notes and
``subscription_invoices`` name the subscription)."""

WALLET_CREDIT_KIND = WalletEntryKind.SUBSCRIPTION_CREDIT


@dataclass(slots=True)
class Settled:
    """What settling a subscription's pending charges produced."""

    record: SubscriptionInvoice | None = None
    invoice: Invoice | None = None
    wallet_credit: Decimal = ZERO


def created_by(subscription: Subscription) -> str:
    """How rows made by a subscription name their author."""
    return f"subscription:{subscription.id}"


def due_date(subscription: Subscription, settings: OperatorSettings, today: date) -> date:
    """Automatic collection is due at once; ``send_invoice`` after its days until due."""
    if CollectionMethod(subscription.collection_method) is CollectionMethod.CHARGE_AUTOMATICALLY:
        return today
    days = subscription.days_until_due
    return today + timedelta(days=settings.default_due_days if days is None else days)


_NOTES = {
    SubscriptionInvoiceKind.RENEWAL: "Subscription renewal",
    SubscriptionInvoiceKind.PRORATION: "Subscription change",
    SubscriptionInvoiceKind.FINAL: "Final invoice of the subscription",
}


def invoice_body(
    subscription: Subscription,
    sources: Sequence[LineSource],
    catalog: Catalog,
    *,
    kind: SubscriptionInvoiceKind,
    period: Period | None,
    issue_date: date,
    settings: OperatorSettings,
    status: InvoiceStatus = InvoiceStatus.ISSUED,
    usage: Sequence[LineInput] = (),
) -> InvoiceCreate:
    """The invoice that bills ``sources`` and ``usage`` (also what the upcoming invoice
    previews)."""
    notes = f"{_NOTES[kind]} ({subscription.id})"
    if period is not None:
        last = period.end - timedelta(days=1)
        notes = (
            f"{_NOTES[kind]}, {period.start.isoformat()} to {last.isoformat()} ({subscription.id})"
        )
    return InvoiceCreate(
        tenant_id=subscription.tenant_id,
        currency=subscription.currency,
        items=[*(line_input(source, subscription, catalog) for source in sources), *usage],
        status=status,
        issue_date=issue_date,
        due_date=due_date(subscription, settings, issue_date),
        notes=notes,
    )


async def _gross(
    session: AsyncSession,
    scope: AccessScope,
    subscription: Subscription,
    charges: Sequence[SubscriptionCharge],
    catalog: Catalog,
    settings: OperatorSettings,
    today: date,
) -> Decimal:
    """The total (net + VAT, by the invoice rules) these charges would make on one invoice."""
    if all(charge.amount >= 0 for charge in charges):
        return sum((charge.amount for charge in charges), ZERO)  # sign is all that matters
    body = invoice_body(
        subscription,
        [LineSource.of_charge(c) for c in charges],
        catalog,
        kind=SubscriptionInvoiceKind.PRORATION,
        period=None,
        issue_date=today,
        settings=settings,
        status=InvoiceStatus.DRAFT,
    )
    preview = await invoice_service.preview(session, scope=scope, body=body)
    return preview.total_amount


async def _credit(
    session: AsyncSession,
    subscription: Subscription,
    charges: Sequence[SubscriptionCharge],
    gross: Decimal,
    outcome: Settled,
) -> None:
    """Credit ``-gross`` to the wallet and mark ``charges`` credited."""
    entry_id: uuid.UUID | None = None
    amount = round_money(-gross, subscription.currency)
    if amount > 0:
        entry = await credit_wallet(
            session,
            tenant_id=subscription.tenant_id,
            currency=subscription.currency,
            amount=amount,
            kind=WALLET_CREDIT_KIND,
            notes=f"Unused time of subscription {subscription.id}",
            created_by=created_by(subscription),
        )
        entry_id = entry.id
        outcome.wallet_credit += amount
    for charge in charges:
        charge.state = ChargeState.CREDITED
        charge.wallet_entry_id = entry_id


async def settle_now(
    session: AsyncSession,
    scope: AccessScope,
    subscription: Subscription,
    kind: SubscriptionInvoiceKind,
    settings: OperatorSettings,
    today: date,
) -> Settled:
    """Invoice (or credit) what is pending right away, outside any period; its collection
    is deferred until the transaction commits."""
    return await settle_pending(
        session,
        scope,
        subscription,
        kind=kind,
        period=None,
        settings=settings,
        today=today,
        defer_collection=True,
    )


async def settle_pending(
    session: AsyncSession,
    scope: AccessScope,
    subscription: Subscription,
    *,
    kind: SubscriptionInvoiceKind,
    period: Period | None,
    settings: OperatorSettings,
    today: date,
    defer_collection: bool,
    catalog: Catalog | None = None,
) -> Settled:
    """Invoice (or credit) every pending charge of the subscription.

    A renewal invoice always exists for its period (even at zero) and carries the pending
    proration charges too, unless their credits would make its total negative: then those
    go to the wallet and the invoice bills the renewal alone. A change or final settlement
    makes an invoice when it charges, a wallet credit when it credits, nothing at zero.
    """
    outcome = Settled()
    charges = list(await ChargeRepository(session, scope).pending(subscription.id))
    usage: list[LineInput] = []
    if kind is not SubscriptionInvoiceKind.PRORATION:
        until = _usage_until(subscription, kind, period, settings, today)
        usage = [
            usage_input(line, subscription)
            for line in await bill_usage(
                session,
                scope,
                subscription,
                until=until,
                settings=settings,
                final=kind is SubscriptionInvoiceKind.FINAL,
            )
        ]
    if not charges and not usage:
        return outcome
    wanted = {charge.price_id for charge in charges}
    if catalog is None or not wanted <= catalog.prices.keys():
        catalog = await load_catalog(session, wanted)
    invoiced = charges
    if kind is SubscriptionInvoiceKind.RENEWAL:
        gross = await _gross(session, scope, subscription, charges, catalog, settings, today)
        if gross < 0:
            others = [c for c in charges if ChargeKind(c.kind) is not ChargeKind.RENEWAL]
            invoiced = [c for c in charges if ChargeKind(c.kind) is ChargeKind.RENEWAL]
            others_gross = await _gross(
                session, scope, subscription, others, catalog, settings, today
            )
            await _credit(session, subscription, others, others_gross, outcome)
        if not invoiced and not usage:
            return outcome
    else:
        gross = await _gross(session, scope, subscription, charges, catalog, settings, today)
        if charges and gross <= 0:
            await _credit(session, subscription, charges, gross, outcome)
            invoiced = []
        if not invoiced and not usage:
            return outcome
    record, invoice = await issue(
        session,
        scope,
        subscription,
        invoiced,
        catalog,
        kind=kind,
        period=period,
        settings=settings,
        today=today,
        usage=usage,
    )
    outcome.record, outcome.invoice = record, invoice
    if defer_collection and record.collection_state == CollectionState.SCHEDULED.value:
        await defer(
            session,
            COLLECT_SUBSCRIPTION_INVOICE_TASK,
            args={"tenant_id": str(record.tenant_id), "record_id": str(record.id)},
        )
    return outcome


def _usage_until(
    subscription: Subscription,
    kind: SubscriptionInvoiceKind,
    period: Period | None,
    settings: OperatorSettings,
    today: date,
) -> datetime:
    """Where the usage an invoice bills ends: the boundary a renewal crosses (the start of
    the period billed in advance, the end of one billed in arrears), the end of the
    subscription for its final invoice (now, when it ends today)."""
    if kind is SubscriptionInvoiceKind.RENEWAL and period is not None:
        in_advance = BillingTiming(subscription.billing_timing) is BillingTiming.IN_ADVANCE
        return start_of(period.start if in_advance else period.end, settings.timezone)
    ended = subscription.ended_at
    if ended is not None and ended < today:
        return start_of(ended, settings.timezone)
    return utcnow()


async def issue(
    session: AsyncSession,
    scope: AccessScope,
    subscription: Subscription,
    charges: Sequence[SubscriptionCharge],
    catalog: Catalog,
    *,
    kind: SubscriptionInvoiceKind,
    period: Period | None,
    settings: OperatorSettings,
    today: date,
    usage: Sequence[LineInput] = (),
) -> tuple[SubscriptionInvoice, Invoice]:
    """Issue one invoice for ``charges`` (a number is taken), pay what the wallet holds, and
    record how the rest will be collected."""
    body = invoice_body(
        subscription,
        [LineSource.of_charge(c) for c in charges],
        catalog,
        kind=kind,
        period=period,
        issue_date=today,
        settings=settings,
        usage=usage,
    )
    invoice = await invoice_service.create(session, scope=scope, principal=BILLING_CYCLE, body=body)
    invoice.created_by = created_by(subscription)
    for charge in charges:
        charge.state = ChargeState.INVOICED
        charge.invoice_id = invoice.id
    due = balance(invoice)
    if due > 0:
        available = await wallet_balance(session, subscription.tenant_id, subscription.currency)
        if available > 0:
            await pay_from_wallet(
                session,
                invoice=invoice,
                amount=min(due, available),
                recorded_by=created_by(subscription),
            )
    if balance(invoice) <= 0:
        state = CollectionState.PAID if invoice.total_amount > 0 else CollectionState.NOT_REQUIRED
    elif CollectionMethod(subscription.collection_method) is CollectionMethod.CHARGE_AUTOMATICALLY:
        state = CollectionState.SCHEDULED
    else:
        state = CollectionState.AWAITING_PAYMENT
    record = SubscriptionInvoice(
        id=uuid.uuid4(),
        tenant_id=subscription.tenant_id,
        subscription_id=subscription.id,
        invoice_id=invoice.id,
        kind=kind.value,
        period_start=period.start if period else None,
        period_end=period.end if period else None,
        collection_state=state.value,
        attempt_count=0,
        next_attempt_at=utcnow() if state is CollectionState.SCHEDULED else None,
    )
    # The partial unique index refuses a second renewal of the period here, and the whole
    # transaction (invoice and number included) rolls back.
    await SubscriptionInvoiceRepository(session, scope).create(record)
    return record, invoice
