"""Provider catalogue (public) and the tenant's saved payment methods (``/api/v1/billing``)."""

from __future__ import annotations

import uuid

from billing.auth.dependencies import OptionalPrincipal, TenantScope, require
from billing.auth.principal import Permission
from billing.core.envelope import ApiResponse, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.session import Session
from billing.core.tenancy import AccessScope
from billing.payments.dependencies import Callbacks, Providers
from billing.payments.errors import (
    InvalidConfirmation,
    MethodTypeNotSupported,
    PaymentMethodNotActive,
    PaymentMethodNotFound,
    PaymentProviderNotFound,
    ProviderCannotSaveMethods,
    ProviderFailed,
    ProviderNotConfigured,
    ProviderTimeout,
    ReturnUrlRequired,
    SetupFailed,
    SetupIncomplete,
    SetupNotFound,
)
from billing.payments.methods.dependencies import TenantPaymentMethod
from billing.payments.methods.schemas import (
    ConfirmRequest,
    NextActionRead,
    PaymentMethodCreate,
    PaymentMethodRead,
    PaymentMethodRemoved,
    PaymentMethodSetup,
    ProviderConfigRead,
    ProviderRead,
    SetupCreate,
)
from billing.payments.methods.service import SetupStarted
from billing.payments.methods.service import payment_method as payment_method_service
from billing.routing import TransactionalRoute
from billing.settings.errors import PaymentMethodNotEnabled
from billing.settings.service import settings as settings_service
from billing.tenants.errors import TenantNotFound

# No principal needed: what a frontend needs before the user signs in. Credentials are optional
# here, but sent ones must be valid (401), as everywhere else.
catalogue_router = GatedRouter(
    prefix="/payment-providers",
    tags=["billing-payment-providers"],
    route_class=TransactionalRoute,
)
tenant_router = GatedRouter(tags=["billing-payment-methods"], route_class=TransactionalRoute)

Reads = [require(Permission.BILLING_READ)]
Writes = [require(Permission.BILLING_WRITE)]
PROVIDER_FAILURES = (ProviderFailed, ProviderTimeout, ProviderNotConfigured)
SETUP_ERRORS = error_responses(
    PaymentProviderNotFound,
    ProviderCannotSaveMethods,
    PaymentMethodNotEnabled,
    MethodTypeNotSupported,
    ReturnUrlRequired,
    TenantNotFound,
    *PROVIDER_FAILURES,
)


def _own_tenant(scope: AccessScope) -> uuid.UUID:
    # TenantScope always names exactly one tenant: the token's.
    assert scope.tenant_id is not None
    return scope.tenant_id


def _setup_read(started: SetupStarted) -> PaymentMethodSetup:
    action = started.next_action
    read = PaymentMethodRead.model_validate(started.method)
    return PaymentMethodSetup(
        **read.model_dump(),
        setup_ref=started.method.setup_ref,
        client_secret=action.client_secret,
        redirect_url=action.url if action.kind == "redirect" else None,
        next_action=NextActionRead.of(action),
    )


@catalogue_router.get("", name="billing_payment_providers_list")
async def list_providers(
    session: Session, providers: Providers, _: OptionalPrincipal
) -> ApiResponse[list[ProviderRead]]:
    """Payment providers with their methods, currencies and whether they can be used now
    (no authentication needed)."""
    settings = await settings_service.get(session)
    return ApiResponse(data=payment_method_service.catalogue(providers, settings))


@catalogue_router.get(
    "/{slug}/config",
    name="billing_payment_providers_config",
    responses=error_responses(PaymentProviderNotFound),
)
async def provider_config(
    slug: str, session: Session, providers: Providers, _: OptionalPrincipal
) -> ApiResponse[ProviderConfigRead]:
    """Frontend SDK configuration of a provider (Stripe: the publishable key); never a secret
    (no authentication needed)."""
    settings = await settings_service.get(session)
    return ApiResponse(data=payment_method_service.public_config(providers, settings, slug))


@tenant_router.post(
    "/payment-providers/{slug}/setup",
    name="billing_payment_providers_setup",
    dependencies=Writes,
    responses=SETUP_ERRORS,
)
async def setup_provider_method(
    slug: str,
    body: SetupCreate,
    scope: TenantScope,
    session: Session,
    providers: Providers,
    callbacks: Callbacks,
) -> ApiResponse[PaymentMethodSetup]:
    """Start saving a method: Stripe answers a ``client_secret`` for Stripe.js, Mollie a
    ``redirect_url`` (a first payment); then call ``confirm``. M-Pesa and Pesapal cannot."""
    started = await payment_method_service.start_setup(
        session,
        scope=scope,
        providers=providers,
        tenant_id=_own_tenant(scope),
        slug=slug,
        method_type=body.method_type,
        return_url=body.return_url,
        callbacks=callbacks,
    )
    return ApiResponse(data=_setup_read(started))


@tenant_router.post(
    "/payment-providers/{slug}/confirm",
    name="billing_payment_providers_confirm",
    dependencies=Writes,
    responses=error_responses(
        PaymentProviderNotFound,
        ProviderCannotSaveMethods,
        InvalidConfirmation,
        SetupNotFound,
        SetupIncomplete,
        SetupFailed,
        *PROVIDER_FAILURES,
    ),
)
async def confirm_provider_method(
    slug: str,
    body: ConfirmRequest,
    scope: TenantScope,
    session: Session,
    providers: Providers,
) -> ApiResponse[PaymentMethodRead]:
    """After the browser finished the setup: check it with the provider and save the method.

    A method the provider saved but cannot charge yet (a pending Mollie mandate, a processing
    SEPA SetupIntent) is answered with status ``pending`` and becomes ``active`` when the
    provider confirms; an unfinished first payment is 409 ``payment_method_setup_incomplete``.
    """
    method = await payment_method_service.confirm(
        session,
        scope=scope,
        providers=providers,
        tenant_id=_own_tenant(scope),
        slug=slug,
        confirmation=body.confirmation_data,
    )
    return ApiResponse(data=PaymentMethodRead.model_validate(method))


@tenant_router.get("/payment-methods", name="billing_payment_methods_list", dependencies=Reads)
async def list_payment_methods(
    scope: TenantScope, session: Session
) -> ApiResponse[list[PaymentMethodRead]]:
    """The caller's saved methods (active and pending), the default first."""
    methods = await payment_method_service.listed(
        session, scope=scope, tenant_id=_own_tenant(scope)
    )
    return ApiResponse(data=[PaymentMethodRead.model_validate(method) for method in methods])


@tenant_router.post(
    "/payment-methods",
    name="billing_payment_methods_create",
    status_code=201,
    dependencies=Writes,
    responses=SETUP_ERRORS,
)
async def add_payment_method(
    body: PaymentMethodCreate,
    scope: TenantScope,
    session: Session,
    providers: Providers,
    callbacks: Callbacks,
) -> ApiResponse[PaymentMethodSetup]:
    """Add a method: starts the provider's setup (as ``/payment-providers/{slug}/setup``) and
    answers the new method in ``setup_pending`` with what the browser must do next."""
    started = await payment_method_service.start_setup(
        session,
        scope=scope,
        providers=providers,
        tenant_id=_own_tenant(scope),
        slug=body.provider_slug,
        method_type=body.method_type,
        return_url=body.return_url,
        callbacks=callbacks,
    )
    return ApiResponse(data=_setup_read(started))


@tenant_router.delete(
    "/payment-methods/{method_id}",
    name="billing_payment_methods_delete",
    dependencies=Writes,
    responses=error_responses(PaymentMethodNotFound, *PROVIDER_FAILURES),
)
async def delete_payment_method(
    method: TenantPaymentMethod, scope: TenantScope, session: Session, providers: Providers
) -> ApiResponse[PaymentMethodRemoved]:
    """Deactivate a method and detach it at the provider; if it was the default, the newest
    remaining active method becomes the default (none left: no default)."""
    default = await payment_method_service.remove(
        session, scope=scope, providers=providers, method=method
    )
    return ApiResponse(
        data=PaymentMethodRemoved(
            removed=PaymentMethodRead.model_validate(method),
            default_payment_method=(
                PaymentMethodRead.model_validate(default) if default is not None else None
            ),
        )
    )


@tenant_router.post(
    "/payment-methods/{method_id}/default",
    name="billing_payment_methods_set_default",
    dependencies=Writes,
    responses=error_responses(PaymentMethodNotFound, PaymentMethodNotActive),
)
async def set_default_payment_method(
    method: TenantPaymentMethod, scope: TenantScope, session: Session
) -> ApiResponse[PaymentMethodRead]:
    """Make an active method the one charged when no method is named."""
    await payment_method_service.set_default(session, scope=scope, method=method)
    return ApiResponse(data=PaymentMethodRead.model_validate(method))
