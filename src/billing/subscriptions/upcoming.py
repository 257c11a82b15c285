"""The upcoming invoice (seed 002): the next invoice of a tenant's subscription, as it would
be issued now.

It is built by the code that issues the real one: the charges the next renewal will make
(``periods.settle_renewals`` over the segments the next period will have), the pending
prorations, usage from the usage seam, all turned into lines by ``ledger.line_input`` and
into an invoice body by ``invoicing.invoice_body``, then priced by the invoices domain's
preview (line rules, taxes, totals engine). Nothing is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import today_in
from billing.core.money import display_decimal, minor_unit, round_money
from billing.core.tenancy import AccessScope
from billing.invoices.calculation import totals_of
from billing.invoices.schemas import TaxBreakdownRead
from billing.invoices.service import invoice as invoice_service
from billing.models.invoice import Invoice
from billing.models.states import InvoiceStatus
from billing.models.subscription import (
    ChargeKind,
    Subscription,
    SubscriptionInvoiceKind,
    SubscriptionStatus,
)
from billing.payments.repository import wallet_balance
from billing.settings.schemas import OperatorSettings
from billing.settings.service import settings as settings_service
from billing.subscriptions.errors import NoUpcomingInvoice, SubscriptionNotFound
from billing.subscriptions.invoicing import invoice_body
from billing.subscriptions.ledger import ZERO, LineSource, load_catalog
from billing.subscriptions.periods import (
    PeriodState,
    anchored,
    load_period,
    load_period_catalog,
    open_segments,
    settle_renewals,
)
from billing.subscriptions.renewal import in_advance
from billing.subscriptions.repository import ChargeRepository, SubscriptionRepository
from billing.subscriptions.schedule import Period
from billing.subscriptions.schemas import UpcomingInvoiceRead, UpcomingLineKind, UpcomingLineRead
from billing.subscriptions.usage import preview as preview_usage
from billing.subscriptions.usage import usage_input
from billing.tenants.service import tenant as tenant_service


@dataclass(frozen=True, slots=True)
class Plan:
    """What a subscription's next invoice will bill, and when."""

    subscription: Subscription
    issue_date: date
    period: Period
    starts: date
    sources: list[LineSource]
    renewal: bool


async def _plan(
    session: AsyncSession, scope: AccessScope, subscription: Subscription, today: date
) -> Plan | None:
    """The next invoice of one subscription, or None when it will not invoice again."""
    status = SubscriptionStatus(subscription.status)
    pending = [
        LineSource.of_charge(c)
        for c in await ChargeRepository(session, scope).pending(subscription.id)
    ]
    end = subscription.current_period_end
    if status is SubscriptionStatus.TRIALING or in_advance(subscription):
        if subscription.cancel_at_period_end:
            if status is SubscriptionStatus.TRIALING or not pending:
                return None
            period = anchored(subscription, subscription.current_period_start)
            return Plan(
                subscription,
                max(end, today),
                period,
                subscription.current_period_start,
                pending,
                renewal=False,
            )
        period = anchored(subscription, end)
        state = PeriodState(period=period, segments=[], charges=[])
        open_segments(subscription, state, end, subscription.items)
        issue = end if in_advance(subscription) else period.end
        starts = end
    else:
        period = anchored(subscription, subscription.current_period_start)
        state = await load_period(session, scope, subscription, period)
        issue = end
        starts = subscription.current_period_start
    catalog = await load_period_catalog(session, subscription, state)
    drafts = settle_renewals(subscription, state, catalog, always=True)
    return Plan(
        subscription,
        max(issue, today),
        period,
        starts,
        [*pending, *(LineSource.of_draft(d) for d in drafts)],
        renewal=True,
    )


async def upcoming_invoice(
    session: AsyncSession,
    *,
    scope: AccessScope,
    tenant_id: uuid.UUID,
    subscription_id: uuid.UUID | None = None,
) -> UpcomingInvoiceRead:
    """The tenant's next subscription invoice (the soonest, or that of ``subscription_id``)."""
    tenant = await tenant_service.get(session, scope=scope, tenant_id=tenant_id)
    settings = await settings_service.get(session)
    today = today_in(settings.timezone)
    subscriptions = await SubscriptionRepository(session, scope).renewing_for_tenant(tenant.id)
    if subscription_id is not None:
        if await SubscriptionRepository(session, scope).get(subscription_id) is None:
            raise SubscriptionNotFound
    plans = []
    for subscription in subscriptions:
        plan = await _plan(session, scope, subscription, today)
        if plan is not None:
            plans.append(plan)
    plans.sort(key=lambda p: (p.issue_date, p.subscription.created_at))
    chosen = next(
        (p for p in plans if subscription_id is None or p.subscription.id == subscription_id),
        None,
    )
    if chosen is None:
        raise NoUpcomingInvoice
    return await _preview(
        session, scope, chosen, settings, others=[p for p in plans if p is not chosen]
    )


async def _preview(
    session: AsyncSession,
    scope: AccessScope,
    plan: Plan,
    settings: OperatorSettings,
    *,
    others: list[Plan],
) -> UpcomingInvoiceRead:
    subscription = plan.subscription
    currency = subscription.currency
    catalog = await load_catalog(session, {source.price_id for source in plan.sources})
    # Usage counted so far: the next renewal (or the final invoice) bills it.
    usage_lines = (await preview_usage(session, scope, subscription, settings.timezone)).lines()
    kind = SubscriptionInvoiceKind.RENEWAL if plan.renewal else SubscriptionInvoiceKind.FINAL
    sources = plan.sources
    wallet_credit = ZERO

    async def preview(sources: list[LineSource]) -> Invoice:
        return await invoice_service.preview(
            session,
            scope=scope,
            body=invoice_body(
                subscription,
                sources,
                catalog,
                kind=kind,
                period=plan.period,
                issue_date=plan.issue_date,
                settings=settings,
                status=InvoiceStatus.DRAFT,
                usage=[usage_input(line, subscription) for line in usage_lines],
            ),
        )

    invoice = await preview(sources)
    if invoice.total_amount < 0 and plan.renewal:
        # As the renewal will: credits that would make the invoice negative go to the wallet.
        credits = [s for s in sources if s.kind is not ChargeKind.RENEWAL]
        sources = [s for s in sources if s.kind is ChargeKind.RENEWAL]
        credited = await invoice_service.preview(
            session,
            scope=scope,
            body=invoice_body(
                subscription,
                credits,
                catalog,
                kind=SubscriptionInvoiceKind.PRORATION,
                period=None,
                issue_date=plan.issue_date,
                settings=settings,
                status=InvoiceStatus.DRAFT,
            ),
        )
        wallet_credit = -credited.total_amount
        invoice = await preview(sources)
    totals = totals_of(invoice, invoice.items)
    available = await wallet_balance(session, subscription.tenant_id, currency) + wallet_credit
    applied = min(max(invoice.total_amount, ZERO), max(available, ZERO))
    lines = []
    for position, line in enumerate(invoice.items):
        source = sources[position] if position < len(sources) else None
        usage = usage_lines[position - len(sources)] if source is None else None
        lines.append(
            UpcomingLineRead(
                kind=UpcomingLineKind.USAGE
                if source is None
                else UpcomingLineKind.SUBSCRIPTION
                if source.kind is ChargeKind.RENEWAL
                else UpcomingLineKind.PRORATION,
                charge_kind=source.kind if source else None,
                name=line.name,
                description=line.description,
                product_id=line.product_id,
                price_id=source.price_id if source else (usage.price_id if usage else None),
                item_id=source.item_id if source else None,
                quantity=display_decimal(line.quantity),
                unit_price=display_decimal(line.unit_price, min_places=minor_unit(currency)),
                tax_rate=display_decimal(line.tax_rate, min_places=2),
                tax_category=line.tax_category,
                line_total=line.line_total,
                service_start=source.service_start
                if source
                else (usage.service_start if usage else None),
                service_end=source.service_end
                if source
                else (usage.service_end if usage else None),
                currency=currency,
            )
        )
    return UpcomingInvoiceRead(
        tenant_id=subscription.tenant_id,
        subscription_id=subscription.id,
        currency=currency,
        issue_date=plan.issue_date,
        period_start=plan.starts,
        period_end=plan.period.end,
        lines=lines,
        tax_breakdown=[
            TaxBreakdownRead(
                category=group.category.value,
                rate=group.rate,
                taxable_amount=round_money(group.taxable_amount, currency),
                tax_amount=round_money(group.tax_amount, currency),
            )
            for group in totals.groups
        ],
        subtotal=invoice.subtotal,
        tax_amount=invoice.tax_amount,
        total_amount=invoice.total_amount,
        wallet_credit_applied=applied,
        amount_due=invoice.total_amount - applied,
        usage_metered=True,
        other_subscriptions=[p.subscription.id for p in others],
    )
