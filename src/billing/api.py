"""The router tree under ``/api/v1``: admin (staff and resellers), billing (tenants), public."""

from __future__ import annotations

from fastapi import APIRouter

from billing.api_keys.router import router as api_keys_router
from billing.billing_profiles.router import admin_router as admin_billing_profile_router
from billing.billing_profiles.router import tenant_router as billing_profile_router
from billing.catalog.prices.router import router as prices_router
from billing.catalog.router import products_router, tax_rates_router
from billing.core.envelope import error_responses
from billing.core.gated_router import GatedRouter
from billing.delivery.router import admin_invoices_router as admin_delivery_invoices_router
from billing.delivery.router import deliveries_router as outbox_router
from billing.delivery.router import endpoints_router as webhook_endpoints_router
from billing.delivery.router import tenant_invoices_router as tenant_delivery_invoices_router
from billing.documents.router import admin_credit_notes_router as admin_credit_note_files_router
from billing.documents.router import admin_router as admin_documents_router
from billing.documents.router import public_router as public_documents_router
from billing.documents.router import (
    tenant_credit_notes_router as tenant_credit_note_files_router,
)
from billing.documents.router import tenant_router as tenant_documents_router
from billing.invoices.credit_notes.router import admin_router as admin_credit_notes_router
from billing.invoices.credit_notes.router import tenant_router as tenant_credit_notes_router
from billing.invoices.router import admin_router as admin_invoices_router
from billing.invoices.router import tenant_router as tenant_invoices_router
from billing.metering.router import events_router as usage_events_router
from billing.metering.router import metrics_router as billable_metrics_router
from billing.payments.accounts.router import router as payment_accounts_router
from billing.payments.charges.router import admin_router as admin_charges_router
from billing.payments.charges.router import tenant_router as tenant_charges_router
from billing.payments.checkout.router import router as checkout_router
from billing.payments.credit_notes.router import router as credit_note_issue_router
from billing.payments.dev_routes import router as test_routes_router
from billing.payments.hosted.router import router as payment_page_router
from billing.payments.links.router import admin_router as admin_payment_links_router
from billing.payments.links.router import router as payment_links_router
from billing.payments.methods.router import catalogue_router as payment_providers_router
from billing.payments.methods.router import tenant_router as tenant_payment_methods_router
from billing.payments.router import admin_router as admin_payments_router
from billing.payments.router import public_router as public_payments_router
from billing.payments.router import tenant_router as tenant_wallet_router
from billing.payments.webhooks.admin import router as deliveries_router
from billing.payments.webhooks.router import callbacks_router, webhooks_router
from billing.reports.commissions.router import router as commissions_router
from billing.reports.operator.router import router as operator_reports_router
from billing.reports.overview.router import router as overview_router
from billing.resellers.router import router as resellers_router
from billing.service_clock.router import router as clock_router
from billing.settings.router import router as settings_router
from billing.subscriptions.router import admin_router as admin_subscriptions_router
from billing.subscriptions.router import (
    admin_upcoming_router,
    proration_router,
    tenant_upcoming_router,
)
from billing.subscriptions.router import tenant_router as tenant_subscriptions_router
from billing.tenants.router import router as tenants_router
from billing.throttling import PublicRateLimit

API_PREFIX = "/api/v1"
ADMIN_PREFIX = "/admin"
BILLING_PREFIX = "/billing"

_AUTHENTICATED_ERRORS = error_responses(401, 403, 422, 429, 500)
_LIMITED_DEPENDENCIES = [PublicRateLimit]
_LIMITED_ERRORS = error_responses(429)

# The groups under fixed prefixes are gated: a request is matched against its own group only.
admin_router = GatedRouter(mounted_at=API_PREFIX + ADMIN_PREFIX, responses=_AUTHENTICATED_ERRORS)
admin_router.include_router(tenants_router)
admin_router.include_router(admin_billing_profile_router)
admin_router.include_router(resellers_router)
admin_router.include_router(api_keys_router)
admin_router.include_router(settings_router)
admin_router.include_router(tax_rates_router)
admin_router.include_router(products_router)
admin_router.include_router(prices_router)
admin_router.include_router(billable_metrics_router)
admin_router.include_router(admin_invoices_router)
admin_router.include_router(admin_documents_router)
admin_router.include_router(credit_note_issue_router)
admin_router.include_router(admin_credit_notes_router)
admin_router.include_router(admin_credit_note_files_router)
admin_router.include_router(admin_payments_router)
admin_router.include_router(admin_charges_router)
admin_router.include_router(deliveries_router)
admin_router.include_router(payment_accounts_router)
admin_router.include_router(admin_payment_links_router)
admin_router.include_router(admin_subscriptions_router)
admin_router.include_router(proration_router)
admin_router.include_router(admin_upcoming_router)
admin_router.include_router(commissions_router)
admin_router.include_router(operator_reports_router)
admin_router.include_router(admin_delivery_invoices_router)
admin_router.include_router(outbox_router)
admin_router.include_router(webhook_endpoints_router)

billing_router = GatedRouter(
    mounted_at=API_PREFIX + BILLING_PREFIX, responses=_AUTHENTICATED_ERRORS
)
billing_router.include_router(billing_profile_router)
billing_router.include_router(tenant_invoices_router)
billing_router.include_router(tenant_documents_router)
billing_router.include_router(tenant_delivery_invoices_router)
billing_router.include_router(tenant_credit_notes_router)
billing_router.include_router(tenant_credit_note_files_router)
billing_router.include_router(tenant_wallet_router)
# The provider catalogue needs no principal (a frontend reads it before sign-in); this router
# carries no scope dependency, each tenant route declares its own.
billing_router.include_router(
    payment_providers_router, dependencies=_LIMITED_DEPENDENCIES, responses=_LIMITED_ERRORS
)
billing_router.include_router(tenant_payment_methods_router)
billing_router.include_router(tenant_charges_router)
billing_router.include_router(tenant_subscriptions_router)
billing_router.include_router(tenant_upcoming_router)
billing_router.include_router(overview_router)

# Unauthenticated: checkout, public status; each route documents what it exposes.
public_router = APIRouter(responses=error_responses(422, 500))
# Pages and checkout count per client address; provider deliveries do not (a provider's
# burst of callbacks must never be refused), nor do the development routes.
public_router.include_router(
    public_payments_router, dependencies=_LIMITED_DEPENDENCIES, responses=_LIMITED_ERRORS
)
public_router.include_router(
    checkout_router, dependencies=_LIMITED_DEPENDENCIES, responses=_LIMITED_ERRORS
)
public_router.include_router(callbacks_router)
public_router.include_router(test_routes_router)
public_router.include_router(clock_router)
public_router.include_router(
    public_documents_router, dependencies=_LIMITED_DEPENDENCIES, responses=_LIMITED_ERRORS
)
# The payment page's own routes (start a payment of the balance, follow it): like the page,
# they are reached by anyone holding the public id, so they are limited per client address.
public_router.include_router(
    payment_page_router, dependencies=_LIMITED_DEPENDENCIES, responses=_LIMITED_ERRORS
)
public_router.include_router(webhooks_router)

# Seed 004's server-to-server invoices: API keys (also in the seed's own header), the seed's
# envelope for every answer, errors included.
merchant_router = APIRouter()
merchant_router.include_router(payment_links_router)

# Usage reports: tenant-bound API keys (or tenant users) and operator staff naming a tenant.
usage_router = APIRouter(responses=_AUTHENTICATED_ERRORS)
usage_router.include_router(usage_events_router)

API_GROUPS: tuple[tuple[APIRouter, str], ...] = (
    (admin_router, ADMIN_PREFIX),
    (billing_router, BILLING_PREFIX),
    (merchant_router, ""),
    (usage_router, ""),
    (public_router, ""),
)
"""The groups under ``API_PREFIX``, in routing order, each with its own prefix.

The app includes each group itself, prefix given: FastAPI checks a router included without a
prefix by building the handler of every route below it, and finds the routes of a request by
walking its routers from the top on every request, so one router holding them all would cost
both.
"""
