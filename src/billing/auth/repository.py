"""Every SQL statement authentication needs: API keys by hash, a reseller's subtree."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.keyset import SortOrder
from billing.core.pagination import PageOf, PageParams
from billing.core.repository import Repository
from billing.models.api_key import ApiKey
from billing.models.tenant import Reseller


async def reseller_subtree_ids(session: AsyncSession, root: uuid.UUID) -> list[uuid.UUID]:
    """``root`` and all its descendants (one recursive query)."""
    tree = select(Reseller.id).where(Reseller.id == root).cte("tree", recursive=True)
    tree = tree.union(select(Reseller.id).where(Reseller.parent_id == tree.c.id))
    result = await session.execute(select(tree.c.id))
    return list(result.scalars().all())


class ApiKeyRepository(Repository[ApiKey]):
    """API keys."""

    model = ApiKey

    async def get(self, key_id: uuid.UUID) -> ApiKey | None:
        """One key."""
        return await self.get_one_or_none(self.base_statement().where(ApiKey.id == key_id))

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        """The key with this hash (visible to the lookup through the api_keys policy)."""
        return await self.get_one_or_none(self.base_statement().where(ApiKey.key_hash == key_hash))

    async def touch(self, key_id: uuid.UUID, now: datetime) -> None:
        """Record a use, unless another request of the same key is recording one right now.

        ``SKIP LOCKED``: concurrent requests of one key never wait for each other's row lock,
        which a request holds until it commits (possibly after a slow provider call).
        """
        locked = (
            select(ApiKey.id).where(ApiKey.id == key_id).with_for_update(skip_locked=True)
        ).scalar_subquery()
        await self.session.execute(
            update(ApiKey).where(ApiKey.id == locked).values(last_used_at=now)
        )

    async def list_page(self, *, page: PageParams) -> PageOf[ApiKey]:
        """Keys, newest first."""
        return await self.paginate(
            self.base_statement(),
            page,
            SortOrder("-created_at", ApiKey.created_at, ApiKey.id, descending=True),
        )
