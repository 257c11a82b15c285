"""Every SQL statement about API keys (admin scope only: RLS hides them otherwise)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from billing.core.repository import Repository
from billing.models.api_key import ApiKey


class ApiKeyRepository(Repository[ApiKey]):
    """API keys."""

    model = ApiKey

    async def get(self, key_id: uuid.UUID) -> ApiKey | None:
        """One key."""
        return await self.get_one_or_none(self.base_statement().where(ApiKey.id == key_id))

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        """The key with this hash (visible to the lookup through the api_keys policy)."""
        return await self.get_one_or_none(self.base_statement().where(ApiKey.key_hash == key_hash))

    async def list_page(self, *, page: int, per_page: int) -> tuple[Sequence[ApiKey], int]:
        """Keys, newest first."""
        statement = self.base_statement().order_by(ApiKey.created_at.desc(), ApiKey.id)
        return await self.paginate(statement, page=page, per_page=per_page)
