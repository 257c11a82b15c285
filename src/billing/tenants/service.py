"""Business rules for tenants."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.tenancy import AccessScope, ScopeKind
from billing.models.states import TenantStatus
from billing.models.tenant import Tenant
from billing.resellers.repository import ResellerRepository
from billing.tenants.errors import ResellerOutOfScope, TenantNotFound
from billing.tenants.repository import TenantRepository
from billing.tenants.schemas import TenantCreate, TenantUpdate


class TenantService:
    """Create, read and update tenants within the caller's scope."""

    async def create(
        self, session: AsyncSession, *, scope: AccessScope, body: TenantCreate
    ) -> Tenant:
        """Create a tenant; a reseller's tenants land in its own subtree."""
        reseller_id = body.reseller_id
        if scope.kind is ScopeKind.RESELLER and reseller_id is None:
            reseller_id = scope.root_reseller_id
        await self._check_reseller(session, scope, reseller_id)
        tenant = Tenant(
            id=uuid.uuid4(),
            name=body.name,
            legal_name=body.legal_name,
            email=str(body.email) if body.email else None,
            country_code=body.country_code,
            default_currency=body.default_currency,
            status=body.status,
            reseller_id=reseller_id,
        )
        return await TenantRepository(session, scope).create(tenant)

    async def get(
        self, session: AsyncSession, *, scope: AccessScope, tenant_id: uuid.UUID
    ) -> Tenant:
        """A visible tenant, or ``TenantNotFound`` (another subtree's tenant included)."""
        tenant = await TenantRepository(session, scope).get(tenant_id)
        if tenant is None:
            raise TenantNotFound
        return tenant

    async def list(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        q: str | None,
        status: TenantStatus | None,
        reseller_id: uuid.UUID | None,
        page: int,
        per_page: int,
    ) -> tuple[Sequence[Tenant], int]:
        """A filtered page of visible tenants."""
        return await TenantRepository(session, scope).list_page(
            q=q, status=status, reseller_id=reseller_id, page=page, per_page=per_page
        )

    async def update(
        self, session: AsyncSession, *, scope: AccessScope, tenant_id: uuid.UUID, body: TenantUpdate
    ) -> Tenant:
        """Apply the fields that were sent."""
        tenant = await self.get(session, scope=scope, tenant_id=tenant_id)
        changes = body.model_dump(exclude_unset=True)
        if "reseller_id" in changes:
            await self._check_reseller(session, scope, changes["reseller_id"])
            if scope.kind is ScopeKind.RESELLER and changes["reseller_id"] is None:
                raise ResellerOutOfScope("A reseller cannot detach a tenant from its subtree.")
        for field in ("name", "default_currency", "status"):
            if field in changes and changes[field] is None:
                changes.pop(field)
        if "email" in changes and changes["email"] is not None:
            changes["email"] = str(changes["email"])
        for field, value in changes.items():
            setattr(tenant, field, value)
        await TenantRepository(session, scope).flush()
        return tenant

    async def _check_reseller(
        self, session: AsyncSession, scope: AccessScope, reseller_id: uuid.UUID | None
    ) -> None:
        if reseller_id is None:
            return
        if await ResellerRepository(session, scope).get(reseller_id) is None:
            raise ResellerOutOfScope


tenant = TenantService()
