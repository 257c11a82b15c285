"""Every SQL statement about saved payment methods and provider customers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert

from billing.models.payment_method import PaymentMethod, ProviderCustomer
from billing.models.states import PaymentMethodStatus
from billing.repositories import ScopedRepository

# What a tenant sees in its list: methods that are saved, usable now or soon.
LISTED_STATUSES = (PaymentMethodStatus.ACTIVE, PaymentMethodStatus.PENDING)


class PaymentMethodRepository(ScopedRepository[PaymentMethod]):
    """Saved methods visible in the scope."""

    model = PaymentMethod

    async def get(
        self, method_id: uuid.UUID, *, tenant_id: uuid.UUID | None = None, for_update: bool = False
    ) -> PaymentMethod | None:
        """One method; ``tenant_id`` narrows it to one tenant (staff charging an invoice)."""
        statement = self.base_statement().where(PaymentMethod.id == method_id)
        if tenant_id is not None:
            statement = statement.where(PaymentMethod.tenant_id == tenant_id)
        if for_update:
            # The locked read refreshes the instance: send pending changes first.
            await self.session.flush()
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.get_one_or_none(statement)

    async def listed(self, tenant_id: uuid.UUID) -> Sequence[PaymentMethod]:
        """The tenant's saved methods: the default first, then the newest."""
        return await self.get_all(
            self.base_statement()
            .where(
                PaymentMethod.tenant_id == tenant_id,
                PaymentMethod.status.in_(LISTED_STATUSES),
            )
            .order_by(
                PaymentMethod.is_default.desc(),
                PaymentMethod.created_at.desc(),
                PaymentMethod.id,
            )
        )

    async def default_for(self, tenant_id: uuid.UUID) -> PaymentMethod | None:
        """The tenant's default method, if any."""
        return await self.get_one_or_none(
            self.base_statement().where(
                PaymentMethod.tenant_id == tenant_id, PaymentMethod.is_default.is_(True)
            )
        )

    async def newest_active(self, tenant_id: uuid.UUID) -> PaymentMethod | None:
        """The most recently saved active method (the successor of a removed default)."""
        return await self.get_one_or_none(
            self.base_statement()
            .where(
                PaymentMethod.tenant_id == tenant_id,
                PaymentMethod.status == PaymentMethodStatus.ACTIVE,
            )
            .order_by(PaymentMethod.created_at.desc(), PaymentMethod.id)
            .limit(1)
        )

    async def by_setup_ref(
        self, provider: str, setup_ref: str, *, for_update: bool = False
    ) -> PaymentMethod | None:
        """The method a SetupIntent or Mollie first payment is creating."""
        statement = self.base_statement().where(
            PaymentMethod.provider == provider, PaymentMethod.setup_ref == setup_ref
        )
        if for_update:
            # The locked read refreshes the instance: send pending changes first.
            await self.session.flush()
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.get_one_or_none(statement)

    async def by_provider_ref(
        self, provider: str, provider_ref: str, *, for_update: bool = False
    ) -> PaymentMethod | None:
        """The row of a saved provider method (``pm_...``, ``mdt_...``)."""
        statement = self.base_statement().where(
            PaymentMethod.provider == provider, PaymentMethod.provider_ref == provider_ref
        )
        if for_update:
            # The locked read refreshes the instance: send pending changes first.
            await self.session.flush()
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.get_one_or_none(statement)

    async def clear_default(self, tenant_id: uuid.UUID) -> None:
        """Unset the tenant's default in its own statement, before another row takes it (the
        partial unique index is checked per statement)."""
        statement = (
            update(PaymentMethod)
            .where(PaymentMethod.tenant_id == tenant_id, PaymentMethod.is_default.is_(True))
            .values(is_default=False)
            .execution_options(synchronize_session="fetch")
        )
        clause = self.scope_clause()
        if clause is not None:
            statement = statement.where(clause)
        await self.session.execute(statement)


class ProviderCustomerRepository(ScopedRepository[ProviderCustomer]):
    """Provider customers visible in the scope."""

    model = ProviderCustomer

    async def get_for(self, tenant_id: uuid.UUID, provider: str) -> ProviderCustomer | None:
        """The tenant's customer at ``provider``."""
        return await self.get_one_or_none(
            self.base_statement().where(
                ProviderCustomer.tenant_id == tenant_id, ProviderCustomer.provider == provider
            )
        )

    async def remember(self, tenant_id: uuid.UUID, provider: str, customer_id: str) -> None:
        """Store the customer the provider created, unless the tenant already has one."""
        await self.session.execute(
            insert(ProviderCustomer)
            .values(
                tenant_id=tenant_id,
                id=uuid.uuid4(),
                provider=provider,
                provider_customer_id=customer_id,
            )
            .on_conflict_do_nothing()
        )
