"""Every SQL statement about tenants."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import or_

from billing.core.repository import LIKE_ESCAPE, contains_pattern
from billing.models.states import TenantStatus
from billing.models.tenant import Tenant
from billing.repositories import ScopedRepository


class TenantRepository(ScopedRepository[Tenant]):
    """Tenants visible in the request's scope."""

    model = Tenant
    tenant_column = "id"

    async def get(self, tenant_id: uuid.UUID) -> Tenant | None:
        """One visible tenant."""
        return await self.get_one_or_none(self.base_statement().where(Tenant.id == tenant_id))

    async def list_page(
        self,
        *,
        q: str | None,
        status: TenantStatus | None,
        reseller_id: uuid.UUID | None,
        page: int,
        per_page: int,
    ) -> tuple[Sequence[Tenant], int]:
        """A filtered page, newest first."""
        statement = self.base_statement()
        if q:
            pattern = contains_pattern(q)
            statement = statement.where(
                or_(
                    Tenant.name.ilike(pattern, escape=LIKE_ESCAPE),
                    Tenant.legal_name.ilike(pattern, escape=LIKE_ESCAPE),
                    Tenant.email.ilike(pattern, escape=LIKE_ESCAPE),
                )
            )
        if status is not None:
            statement = statement.where(Tenant.status == status)
        if reseller_id is not None:
            statement = statement.where(Tenant.reseller_id == reseller_id)
        statement = statement.order_by(Tenant.created_at.desc(), Tenant.id)
        return await self.paginate(statement, page=page, per_page=per_page)
