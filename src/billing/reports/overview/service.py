"""The billing overview of one tenant, assembled from a fixed set of statements."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import today_in
from billing.core.money import round_money
from billing.core.tenancy import AccessScope, TenantId
from billing.invoices.presenter import balance, effective_status, payment_status
from billing.payments.methods.repository import PaymentMethodRepository
from billing.payments.methods.schemas import PaymentMethodRead
from billing.reports.overview.repository import OverviewRepository
from billing.reports.overview.schemas import (
    BillingOverview,
    CurrencyBalance,
    NextInvoice,
    RecentInvoice,
    RecentPayment,
    SubscriptionSummary,
    WalletCredit,
)
from billing.settings.service import settings as settings_service
from billing.subscriptions.errors import NoUpcomingInvoice
from billing.subscriptions.repository import SubscriptionRepository
from billing.subscriptions.upcoming import upcoming_invoice

RECENT = 5
"""Invoices and payments the overview lists; the full lists have their own routes."""


class OverviewService:
    """Seed 002's ``GET /billing/overview``."""

    async def overview(
        self, session: AsyncSession, *, scope: AccessScope, tenant_id: TenantId
    ) -> BillingOverview:
        """Balances and overdue per currency, wallet, next invoice, subscriptions, default
        method, the last invoices and payments: about ten statements at any invoice count
        (the next invoice's estimate costs a few per renewing subscription)."""
        settings = await settings_service.get(session)
        today = today_in(settings.timezone)
        repository = OverviewRepository(session, scope)
        balances = [
            CurrencyBalance(
                currency=row.currency,
                balance_due=round_money(row.balance_due, row.currency),
                open_count=row.open_count,
                overdue_amount=round_money(row.overdue_amount, row.currency),
                overdue_count=row.overdue_count,
            )
            for row in await repository.balances(tenant_id, today)
        ]
        wallet = [
            WalletCredit(currency=currency, amount=round_money(amount, currency))
            for currency, amount in await repository.wallet(tenant_id)
            if round_money(amount, currency) != 0
        ]
        invoices = [
            RecentInvoice(
                id=invoice.id,
                invoice_number=invoice.invoice_number,
                status=effective_status(invoice, today),
                payment_status=payment_status(invoice),
                currency=invoice.currency,
                total_amount=round_money(invoice.total_amount, invoice.currency),
                balance=round_money(balance(invoice), invoice.currency),
                issue_date=invoice.issue_date,
                due_date=invoice.due_date,
            )
            for invoice in await repository.recent_invoices(tenant_id, RECENT)
        ]
        payments = [
            RecentPayment(
                id=payment.id,
                reference=payment.reference,
                method=payment.method,
                amount=round_money(payment.amount, payment.currency),
                currency=payment.currency,
                paid_at=payment.paid_at,
            )
            for payment in await repository.recent_payments(tenant_id, RECENT)
        ]
        method = await PaymentMethodRepository(session, scope).default_for(tenant_id)
        subscriptions = await SubscriptionRepository(session, scope).renewing_for_tenant(tenant_id)
        return BillingOverview(
            tenant_id=tenant_id,
            as_of=today,
            balances=balances,
            wallet=wallet,
            next_invoice=await self._next_invoice(session, scope, tenant_id)
            if subscriptions
            else None,
            active_subscriptions=[
                SubscriptionSummary(
                    id=subscription.id,
                    status=subscription.status,
                    currency=subscription.currency,
                    current_period_start=subscription.current_period_start,
                    current_period_end=subscription.current_period_end,
                    cancel_at_period_end=subscription.cancel_at_period_end,
                )
                for subscription in subscriptions
            ],
            default_payment_method=PaymentMethodRead.model_validate(method) if method else None,
            recent_invoices=invoices,
            recent_payments=payments,
        )

    async def _next_invoice(
        self, session: AsyncSession, scope: AccessScope, tenant_id: TenantId
    ) -> NextInvoice | None:
        try:
            upcoming = await upcoming_invoice(session, scope=scope, tenant_id=tenant_id)
        except NoUpcomingInvoice:
            # Every renewing subscription ends at its period's end with nothing pending.
            return None
        return NextInvoice(
            subscription_id=upcoming.subscription_id,
            issue_date=upcoming.issue_date,
            currency=upcoming.currency,
            total_amount=upcoming.total_amount,
            amount_due=upcoming.amount_due,
        )


overview = OverviewService()
