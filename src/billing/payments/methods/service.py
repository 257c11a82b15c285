"""Saved payment methods: the provider catalogue, setup and confirmation, default, removal.

A setup is a ``payment_methods`` row in ``setup_pending`` from the moment the provider answers
(its ``setup_ref`` is the SetupIntent or Mollie first payment), so that the confirmation route,
the provider's webhook and a repeated confirmation all land on the same row:

* ``active`` once the provider confirms a usable method (Stripe SetupIntent ``succeeded``,
  Mollie mandate ``valid`` after a paid first payment);
* ``pending`` while the provider has saved it but it is not chargeable yet (a Mollie mandate
  still ``pending``, a SEPA SetupIntent ``processing``): confirming answers 200 with the
  pending method, and the webhook (or a later confirmation) makes it ``active``. A first payment
  the payer has not finished yet answers 409 ``payment_method_setup_incomplete`` instead;
* ``failed`` when the provider reports the setup failed, ``inactive`` once removed.

Defaults: the first active method of a tenant becomes its default; exactly one default per
tenant is kept by a partial unique index, with changes serialised per tenant. Removing the
default hands it to the newest remaining active method (none left: no default).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth import capabilities
from billing.core.clock import utcnow
from billing.core.tenancy import AccessScope
from billing.models.payment_method import PaymentMethod
from billing.models.states import PaymentMethodStatus
from billing.payments.callback_urls import CallbackUrls
from billing.payments.errors import (
    InvalidConfirmation,
    PaymentMethodNotActive,
    PaymentMethodNotFound,
    PaymentProviderNotFound,
    ProviderCannotSaveMethods,
    ProviderNotConfigured,
    SetupFailed,
    SetupIncomplete,
    SetupNotFound,
    upstream_error,
)
from billing.payments.ledger import advisory_lock
from billing.payments.methods.repository import PaymentMethodRepository, ProviderCustomerRepository
from billing.payments.methods.schemas import ProviderConfigRead, ProviderRead
from billing.providers.base import (
    Capability,
    CustomerRef,
    NextAction,
    PaymentProvider,
    ProviderError,
    ProviderKey,
    ProviderUnavailableError,
    SavedMethod,
    SetupRequest,
)
from billing.providers.registry import PROVIDERS, ProviderFactory
from billing.settings.schemas import OperatorSettings
from billing.settings.service import settings as settings_service
from billing.tenants.service import tenant as tenant_service

# How each provider's confirm_setup names the setup it checks.
_CONFIRMATION_KEYS: Mapping[ProviderKey, str] = {
    ProviderKey.STRIPE: "setup_intent_id",
    ProviderKey.MOLLIE: "payment_id",
}
# Keys a browser may send back that name the setup at the provider.
_PROVIDER_REF_KEYS = ("setup_intent_id", "setup_intent", "payment_id", "id")
_INCOMPLETE = frozenset({"setup_incomplete", "mandate_not_ready"})
_FAILED = frozenset({"setup_failed", "mandate_invalid"})
# Detaching something the provider no longer has (or no longer links to our customer) is done.
_ALREADY_DETACHED = frozenset({"resource_missing", "not_found", "gone", "method_not_owned"})
SAVED = frozenset({PaymentMethodStatus.ACTIVE, PaymentMethodStatus.PENDING})
CONFIRMABLE = frozenset({PaymentMethodStatus.SETUP_PENDING, PaymentMethodStatus.PENDING})


@dataclass(frozen=True, slots=True)
class SetupStarted:
    """A setup row and what the payer's browser must do to finish it."""

    method: PaymentMethod
    next_action: NextAction


def provider_key(slug: str) -> ProviderKey:
    """The registry key for a slug, or ``PaymentProviderNotFound``."""
    try:
        return ProviderKey(slug)
    except ValueError:
        raise PaymentProviderNotFound from None


class PaymentMethodService:
    """Saved methods of one tenant at a time; the provider is asked before any state moves."""

    def catalogue(
        self, providers: ProviderFactory, settings: OperatorSettings
    ) -> list[ProviderRead]:
        """Every provider plugin, with what it can do and whether it can be used now."""
        return [
            ProviderRead(
                slug=key.value,
                name=plugin.display_name,
                method_types=list(plugin.method_types),
                currencies=sorted(plugin.currencies),
                capabilities=sorted(capability.value for capability in plugin.capabilities),
                saves_methods=Capability.SAVE_METHOD in plugin.capabilities,
                configured=providers.configured(key),
                enabled=settings.method_enabled(key.value),
            )
            for key, plugin in PROVIDERS.items()
        ]

    def public_config(
        self, providers: ProviderFactory, settings: OperatorSettings, slug: str
    ) -> ProviderConfigRead:
        """The provider's frontend configuration (publishable values only)."""
        key = provider_key(slug)
        return ProviderConfigRead(
            slug=key.value,
            configured=providers.configured(key),
            enabled=settings.method_enabled(key.value),
            config=dict(providers.build(key).public_config()),
        )

    async def start_setup(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        providers: ProviderFactory,
        tenant_id: uuid.UUID,
        slug: str,
        method_type: str,
        return_url: str | None,
        callbacks: CallbackUrls,
    ) -> SetupStarted:
        """Create the provider customer on first use and start a setup (SetupIntent, or a
        Mollie first payment); the row stays ``setup_pending`` until confirmed."""
        key = provider_key(slug)
        plugin = await self._saving_provider(session, providers, key)
        tenant = await tenant_service.get(session, scope=scope, tenant_id=tenant_id)
        # One customer per tenant and provider: concurrent first setups wait for each other.
        await advisory_lock(session, f"provider_customer:{tenant.id}:{key.value}")
        customers = ProviderCustomerRepository(session, scope)
        known = await customers.get_for(tenant.id, key.value)
        method_id = uuid.uuid4()
        request = SetupRequest(
            attempt_id=str(method_id),
            customer=CustomerRef(
                tenant_id=str(tenant.id),
                name=tenant.legal_name or tenant.name,
                email=tenant.email,
                provider_customer_id=known.provider_customer_id if known else None,
            ),
            method_type=method_type,
            return_url=return_url,
            callback_url=callbacks.webhook(key),
        )
        try:
            started = await plugin.create_setup(request)
        except ProviderError as exc:
            raise upstream_error(plugin.display_name, exc, "the setup") from exc
        if known is None:
            await customers.remember(tenant.id, key.value, started.provider_customer_id)
        method = PaymentMethod(
            id=method_id,
            tenant_id=tenant.id,
            provider=key.value,
            method_type=method_type,
            status=PaymentMethodStatus.SETUP_PENDING,
            provider_customer_id=started.provider_customer_id,
            setup_ref=started.provider_ref,
            is_default=False,
        )
        await PaymentMethodRepository(session, scope).create(method)
        return SetupStarted(method, started.next_action)

    async def confirm(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        providers: ProviderFactory,
        tenant_id: uuid.UUID,
        slug: str,
        confirmation: Mapping[str, str],
    ) -> PaymentMethod:
        """Read the setup back from the provider and store the method it produced.

        The provider is asked holding no lock; the row is locked only to store the answer.
        """
        key = provider_key(slug)
        plugin = providers.build(key)
        if Capability.SAVE_METHOD not in plugin.capabilities:
            raise ProviderCannotSaveMethods(f"{plugin.display_name} cannot save payment methods.")
        method = await self._setup_row(session, scope, key, tenant_id, confirmation)
        if method.status == PaymentMethodStatus.ACTIVE:
            return method  # confirmed before (by this route or the webhook)
        if method.status not in CONFIRMABLE:
            raise SetupFailed(f"This setup is {method.status}; start a new one.")
        try:
            saved = await plugin.confirm_setup(method.provider_customer_id, _refs(key, method))
        except ProviderUnavailableError as exc:
            raise upstream_error(plugin.display_name, exc, "the confirmation") from exc
        except ProviderError as exc:
            if exc.code in _INCOMPLETE:
                raise SetupIncomplete(f"{plugin.display_name}: {exc.message}") from exc
            if exc.code in _FAILED:
                raise SetupFailed(f"{plugin.display_name}: {exc.message}") from exc
            if exc.code == "setup_customer_mismatch":
                raise SetupNotFound from exc
            raise upstream_error(plugin.display_name, exc, "the confirmation") from exc
        locked = await self.get(session, scope=scope, method_id=method.id, for_update=True)
        if locked.status in CONFIRMABLE:
            await self._store(session, scope, locked, saved)
        return locked

    async def sync_setup(
        self,
        session: AsyncSession,
        *,
        providers: ProviderFactory,
        provider: ProviderKey,
        setup_ref: str,
    ) -> str:
        """A provider notification about a setup: confirm it unless already done.

        Narrows the session to the method's tenant; asks the provider holding no lock. Returns a
        short outcome. Provider outages propagate so the job is retried.
        """
        ref = await capabilities.method_by_setup_ref(session, provider.value, setup_ref)
        if ref is None:
            return "unknown_setup"
        scope = await capabilities.narrow(session, ref.tenant_id)
        method = await PaymentMethodRepository(session, scope).get(ref.id)
        if method is None:
            return "unknown_setup"
        if method.status not in CONFIRMABLE:
            return f"already_{method.status}"
        plugin = providers.build(provider)
        try:
            saved = await plugin.confirm_setup(
                method.provider_customer_id, _refs(plugin.key, method)
            )
        except ProviderUnavailableError:
            raise
        except ProviderError as exc:
            if exc.code not in _FAILED:
                return exc.code
            saved = None
            failure = exc
        locked = await self.get(session, scope=scope, method_id=method.id, for_update=True)
        if locked.status not in CONFIRMABLE:
            return f"already_{locked.status}"
        if saved is None:
            locked.status = PaymentMethodStatus.FAILED
            locked.failure_code = failure.code
            locked.failure_message = failure.message[:500]
            await session.flush()
            return "setup_failed"
        await self._store(session, scope, locked, saved)
        return f"method_{locked.status}"

    async def set_default(
        self, session: AsyncSession, *, scope: AccessScope, method: PaymentMethod
    ) -> PaymentMethod:
        """Make an active method the tenant's only default."""
        method = await self.get(session, scope=scope, method_id=method.id, for_update=True)
        if method.status != PaymentMethodStatus.ACTIVE:
            raise PaymentMethodNotActive(
                f"Only active methods can be the default; this one is {method.status}."
            )
        await _lock_default(session, method.tenant_id)
        if not method.is_default:
            await PaymentMethodRepository(session, scope).clear_default(method.tenant_id)
            method.is_default = True
            await session.flush()
        return method

    async def remove(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        providers: ProviderFactory,
        method: PaymentMethod,
    ) -> PaymentMethod | None:
        """Detach the method at the provider, deactivate it; returns the default afterwards.

        Removing an inactive method again changes nothing.
        """
        if method.status in SAVED and method.provider_ref:
            plugin = providers.build(ProviderKey(method.provider))
            try:
                await plugin.detach_method(method.provider_customer_id, method.provider_ref)
            except ProviderUnavailableError as exc:
                raise upstream_error(plugin.display_name, exc, "the removal") from exc
            except ProviderError as exc:
                if exc.code not in _ALREADY_DETACHED:
                    raise upstream_error(plugin.display_name, exc, "the removal") from exc
        # Locked only now: the provider was asked holding no lock.
        locked = await self.get(session, scope=scope, method_id=method.id, for_update=True)
        await self.deactivate(session, scope=scope, method=locked)
        return await PaymentMethodRepository(session, scope).default_for(method.tenant_id)

    async def deactivate(
        self, session: AsyncSession, *, scope: AccessScope, method: PaymentMethod
    ) -> None:
        """Mark a method inactive; a removed default passes to the newest active method."""
        if method.status == PaymentMethodStatus.INACTIVE:
            return
        was_default = method.is_default
        method.status = PaymentMethodStatus.INACTIVE
        method.is_default = False
        method.deactivated_at = utcnow()
        await session.flush()
        if was_default:
            await _lock_default(session, method.tenant_id)
            repository = PaymentMethodRepository(session, scope)
            successor = await repository.newest_active(method.tenant_id)
            if successor is not None and await repository.default_for(method.tenant_id) is None:
                successor.is_default = True
                await session.flush()

    async def detached_at_provider(
        self, session: AsyncSession, *, provider: ProviderKey, method_ref: str
    ) -> str:
        """The provider says a saved method is gone (Stripe ``payment_method.detached``, a
        signed event). Narrows the session to the method's tenant."""
        ref = await capabilities.method_by_provider_ref(session, provider.value, method_ref)
        if ref is None:
            return "unknown_method"
        scope = await capabilities.narrow(session, ref.tenant_id)
        method = await PaymentMethodRepository(session, scope).get(ref.id, for_update=True)
        if method is None:
            return "unknown_method"
        if method.status == PaymentMethodStatus.INACTIVE:
            return "already_inactive"
        await self.deactivate(session, scope=scope, method=method)
        return "method_deactivated"

    async def listed(
        self, session: AsyncSession, *, scope: AccessScope, tenant_id: uuid.UUID
    ) -> list[PaymentMethod]:
        """The tenant's saved methods, default first."""
        return list(await PaymentMethodRepository(session, scope).listed(tenant_id))

    async def get(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        method_id: uuid.UUID,
        tenant_id: uuid.UUID | None = None,
        for_update: bool = False,
    ) -> PaymentMethod:
        """A visible method (of ``tenant_id`` when given), or ``PaymentMethodNotFound``."""
        method = await PaymentMethodRepository(session, scope).get(
            method_id, tenant_id=tenant_id, for_update=for_update
        )
        if method is None:
            raise PaymentMethodNotFound
        return method

    async def _saving_provider(
        self, session: AsyncSession, providers: ProviderFactory, key: ProviderKey
    ) -> PaymentProvider:
        plugin = providers.build(key)
        if Capability.SAVE_METHOD not in plugin.capabilities:
            raise ProviderCannotSaveMethods(
                f"{plugin.display_name} cannot save payment methods; it is paid at checkout."
            )
        settings_service.check_payment_method(await settings_service.get(session), key.value)
        if not providers.configured(key):
            raise ProviderNotConfigured(f"{plugin.display_name} is not configured.")
        return plugin

    async def _setup_row(
        self,
        session: AsyncSession,
        scope: AccessScope,
        key: ProviderKey,
        tenant_id: uuid.UUID,
        confirmation: Mapping[str, str],
    ) -> PaymentMethod:
        repository = PaymentMethodRepository(session, scope)
        method: PaymentMethod | None = None
        setup_id = confirmation.get("setup_id")
        if setup_id:
            try:
                parsed = uuid.UUID(setup_id)
            except ValueError:
                raise InvalidConfirmation("setup_id is not a valid id.") from None
            method = await repository.get(parsed, tenant_id=tenant_id)
        else:
            ref = next((confirmation[k] for k in _PROVIDER_REF_KEYS if confirmation.get(k)), None)
            if ref is None:
                raise InvalidConfirmation(
                    "confirmation_data must name the setup: setup_id, setup_intent_id "
                    "(Stripe) or payment_id (Mollie)."
                )
            method = await repository.by_setup_ref(key.value, ref)
        if method is None or method.tenant_id != tenant_id or method.provider != key.value:
            raise SetupNotFound
        return method

    async def _store(
        self,
        session: AsyncSession,
        scope: AccessScope,
        method: PaymentMethod,
        saved: SavedMethod,
    ) -> None:
        method.provider_ref = saved.provider_ref
        method.provider_customer_id = saved.provider_customer_id
        method.method_type = saved.method_type or method.method_type
        method.brand = saved.brand
        method.last4 = saved.last4
        method.exp_month = saved.exp_month
        method.exp_year = saved.exp_year
        method.mandate_status = saved.status
        method.status = (
            PaymentMethodStatus.ACTIVE if saved.status == "valid" else PaymentMethodStatus.PENDING
        )
        method.failure_code = None
        method.failure_message = None
        await session.flush()
        if method.status == PaymentMethodStatus.ACTIVE:
            await _lock_default(session, method.tenant_id)
            repository = PaymentMethodRepository(session, scope)
            if await repository.default_for(method.tenant_id) is None:
                method.is_default = True
                await session.flush()


def _refs(key: ProviderKey, method: PaymentMethod) -> dict[str, str]:
    # Always our stored reference: what the browser sent only served to find the row.
    assert method.setup_ref is not None
    return {_CONFIRMATION_KEYS[key]: method.setup_ref}


async def _lock_default(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Serialise default changes of one tenant (two calls could otherwise both clear, then
    both set, and one would fail on the unique index)."""
    await advisory_lock(session, f"payment_method_default:{tenant_id}")


payment_method = PaymentMethodService()
