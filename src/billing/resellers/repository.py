"""Every SQL statement about resellers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.base import ExecutableOption

from billing.auth.repository import reseller_subtree_ids
from billing.core.repository import LIKE_ESCAPE, Repository, contains_pattern
from billing.core.tenancy import AccessScope, ScopeKind
from billing.models.tenant import Reseller


class ResellerRepository(Repository[Reseller]):
    """Resellers visible in a scope: all for admins, the subtree for a reseller."""

    model = Reseller

    def __init__(self, session: AsyncSession, scope: AccessScope) -> None:
        super().__init__(session)
        self.scope = scope

    def base_statement(
        self, *, eager: Sequence[ExecutableOption] | None = None
    ) -> Select[Reseller]:
        """Resellers the scope may see."""
        statement = select(Reseller).options(*(eager or ()))
        if self.scope.kind is ScopeKind.RESELLER:
            statement = statement.where(Reseller.id.in_(self.scope.reseller_ids))
        elif self.scope.kind in (ScopeKind.TENANT, ScopeKind.PUBLIC):
            statement = statement.where(Reseller.id.is_(None))
        return statement

    async def get(self, reseller_id: uuid.UUID) -> Reseller | None:
        """One visible reseller."""
        return await self.get_one_or_none(self.base_statement().where(Reseller.id == reseller_id))

    async def list_page(
        self, *, q: str | None, parent_id: uuid.UUID | None, page: int, per_page: int
    ) -> tuple[Sequence[Reseller], int]:
        """A page of visible resellers, filtered."""
        statement = self.base_statement()
        if q:
            pattern = contains_pattern(q)
            statement = statement.where(
                or_(
                    Reseller.name.ilike(pattern, escape=LIKE_ESCAPE),
                    Reseller.email.ilike(pattern, escape=LIKE_ESCAPE),
                )
            )
        if parent_id is not None:
            statement = statement.where(Reseller.parent_id == parent_id)
        statement = statement.order_by(Reseller.created_at.desc(), Reseller.id)
        return await self.paginate(statement, page=page, per_page=per_page)

    async def descendants(self, reseller_id: uuid.UUID) -> list[uuid.UUID]:
        """The reseller's subtree, itself included."""
        return await reseller_subtree_ids(self.session, reseller_id)
