"""Business rules for resellers."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.pagination import PageOf, PageParams
from billing.core.tenancy import AccessScope, ScopeKind
from billing.models.tenant import Reseller
from billing.resellers.errors import (
    CommissionRateAdminOnly,
    ResellerCycle,
    ResellerNotFound,
    ResellerRootForbidden,
)
from billing.resellers.repository import ResellerRepository
from billing.resellers.schemas import ResellerCreate, ResellerUpdate


class ResellerService:
    """Create, read and update resellers within the caller's scope."""

    async def create(
        self, session: AsyncSession, *, scope: AccessScope, body: ResellerCreate
    ) -> Reseller:
        """Create a reseller; a reseller creates children inside its subtree."""
        repository = ResellerRepository(session, scope)
        parent_id = body.parent_id
        if scope.kind is ScopeKind.RESELLER:
            parent_id = parent_id or scope.root_reseller_id
            if "commission_rate" in body.model_fields_set and body.commission_rate != 0:
                raise CommissionRateAdminOnly
        if parent_id is not None and await repository.get(parent_id) is None:
            raise ResellerNotFound("Parent reseller not found.")
        reseller = Reseller(
            id=uuid.uuid4(),
            name=body.name,
            parent_id=parent_id,
            commission_rate=body.commission_rate,
            email=str(body.email) if body.email else None,
        )
        return await repository.create(reseller)

    async def get(
        self, session: AsyncSession, *, scope: AccessScope, reseller_id: uuid.UUID
    ) -> Reseller:
        """A visible reseller, or ``ResellerNotFound``."""
        reseller = await ResellerRepository(session, scope).get(reseller_id)
        if reseller is None:
            raise ResellerNotFound
        return reseller

    async def list(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        q: str | None,
        parent_id: uuid.UUID | None,
        page: PageParams,
    ) -> PageOf[Reseller]:
        """A page of visible resellers."""
        return await ResellerRepository(session, scope).list_page(
            q=q, parent_id=parent_id, page=page
        )

    async def update(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        reseller_id: uuid.UUID,
        body: ResellerUpdate,
    ) -> Reseller:
        """Apply the fields that were sent; moving a reseller never creates a cycle."""
        repository = ResellerRepository(session, scope)
        reseller = await self.get(session, scope=scope, reseller_id=reseller_id)
        changes = body.model_dump(exclude_unset=True)
        if (
            scope.kind is not ScopeKind.ADMIN
            and changes.get("commission_rate") is not None
            and changes["commission_rate"] != reseller.commission_rate
        ):
            raise CommissionRateAdminOnly
        if "parent_id" in changes:
            await self._check_parent(repository, scope, reseller, changes["parent_id"])
        for field in ("name", "commission_rate"):
            if field in changes and changes[field] is None:
                changes.pop(field)
        if changes.get("email") is not None:
            changes["email"] = str(changes["email"])
        for field, value in changes.items():
            setattr(reseller, field, value)
        await repository.flush()
        return reseller

    async def _check_parent(
        self,
        repository: ResellerRepository,
        scope: AccessScope,
        reseller: Reseller,
        parent_id: uuid.UUID | None,
    ) -> None:
        if scope.kind is ScopeKind.RESELLER:
            # A reseller may rearrange its descendants but not itself (the subtree's root).
            if reseller.id == scope.root_reseller_id or parent_id is None:
                raise ResellerRootForbidden
        if parent_id is None:
            return
        if await repository.get(parent_id) is None:
            raise ResellerNotFound("Parent reseller not found.")
        if parent_id in await repository.descendants(reseller.id):
            raise ResellerCycle


reseller = ResellerService()
