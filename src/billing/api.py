"""The router tree under ``/api/v1``: admin (staff and resellers), billing (tenants), public."""

from __future__ import annotations

from fastapi import APIRouter

from billing.api_keys.router import router as api_keys_router
from billing.billing_profiles.router import admin_router as admin_billing_profile_router
from billing.billing_profiles.router import tenant_router as billing_profile_router
from billing.catalog.prices.router import router as prices_router
from billing.catalog.router import products_router, tax_rates_router
from billing.core.envelope import error_responses
from billing.documents.router import admin_router as admin_documents_router
from billing.documents.router import public_router as public_documents_router
from billing.documents.router import tenant_router as tenant_documents_router
from billing.invoices.router import admin_router as admin_invoices_router
from billing.invoices.router import tenant_router as tenant_invoices_router
from billing.payments.charges.router import admin_router as admin_charges_router
from billing.payments.charges.router import tenant_router as tenant_charges_router
from billing.payments.checkout.router import router as checkout_router
from billing.payments.dev_routes import router as test_routes_router
from billing.payments.methods.router import catalogue_router as payment_providers_router
from billing.payments.methods.router import tenant_router as tenant_payment_methods_router
from billing.payments.router import admin_router as admin_payments_router
from billing.payments.router import public_router as public_payments_router
from billing.payments.router import tenant_router as tenant_wallet_router
from billing.payments.webhooks.admin import router as deliveries_router
from billing.payments.webhooks.router import callbacks_router, webhooks_router
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

API_PREFIX = "/api/v1"

_AUTHENTICATED_ERRORS = error_responses(401, 403, 422, 500)

admin_router = APIRouter(prefix="/admin", responses=_AUTHENTICATED_ERRORS)
admin_router.include_router(tenants_router)
admin_router.include_router(admin_billing_profile_router)
admin_router.include_router(resellers_router)
admin_router.include_router(api_keys_router)
admin_router.include_router(settings_router)
admin_router.include_router(tax_rates_router)
admin_router.include_router(products_router)
admin_router.include_router(prices_router)
admin_router.include_router(admin_invoices_router)
admin_router.include_router(admin_documents_router)
admin_router.include_router(admin_payments_router)
admin_router.include_router(admin_charges_router)
admin_router.include_router(deliveries_router)
admin_router.include_router(admin_subscriptions_router)
admin_router.include_router(proration_router)
admin_router.include_router(admin_upcoming_router)

billing_router = APIRouter(prefix="/billing", responses=_AUTHENTICATED_ERRORS)
billing_router.include_router(billing_profile_router)
billing_router.include_router(tenant_invoices_router)
billing_router.include_router(tenant_documents_router)
billing_router.include_router(tenant_wallet_router)
# The provider catalogue needs no principal (a frontend reads it before sign-in); this router
# carries no scope dependency, each tenant route declares its own.
billing_router.include_router(payment_providers_router)
billing_router.include_router(tenant_payment_methods_router)
billing_router.include_router(tenant_charges_router)
billing_router.include_router(tenant_subscriptions_router)
billing_router.include_router(tenant_upcoming_router)

# Unauthenticated: checkout, public status; each route documents what it exposes.
public_router = APIRouter(responses=error_responses(422, 500))
public_router.include_router(public_payments_router)
public_router.include_router(checkout_router)
public_router.include_router(callbacks_router)
public_router.include_router(test_routes_router)
public_router.include_router(clock_router)
public_router.include_router(public_documents_router)
public_router.include_router(webhooks_router)

api_router = APIRouter(prefix=API_PREFIX)
api_router.include_router(admin_router)
api_router.include_router(billing_router)
api_router.include_router(public_router)
