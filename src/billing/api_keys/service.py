"""Issuing and revoking API keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from billing.api_keys.errors import ApiKeyNotFound, InvalidApiKeyScopes
from billing.api_keys.schemas import ApiKeyCreate
from billing.auth.api_keys import display_prefix, generate_api_key, hash_api_key
from billing.auth.principal import ROLE_PERMISSIONS, TENANT_KEY_SCOPES, Principal, Role
from billing.auth.repository import ApiKeyRepository
from billing.core.pagination import PageOf, PageParams
from billing.core.tenancy import AccessScope
from billing.models.api_key import ApiKey
from billing.tenants.service import tenant as tenant_service


class ApiKeyService:
    """API keys are created by admins; the secret is returned once and stored hashed."""

    async def create(
        self, session: AsyncSession, *, scope: AccessScope, principal: Principal, body: ApiKeyCreate
    ) -> tuple[ApiKey, str]:
        """Issue a key; returns the row and the secret (never stored in clear)."""
        scopes = set(body.scopes)
        if body.tenant_id is not None:
            await tenant_service.get(session, scope=scope, tenant_id=body.tenant_id)
            allowed = TENANT_KEY_SCOPES
        else:
            allowed = ROLE_PERMISSIONS[Role.ADMIN]
        refused = sorted(scope.value for scope in scopes - allowed)
        if refused:
            kind = "a tenant-bound" if body.tenant_id else "an operator"
            permitted = sorted(item.value for item in allowed)
            raise InvalidApiKeyScopes(
                f"Scopes not allowed on {kind} key: {', '.join(refused)}. "
                f"Allowed: {', '.join(permitted)}",
                details=[{"field": "scopes", "refused": refused, "allowed": permitted}],
            )
        secret = generate_api_key()
        api_key = ApiKey(
            id=uuid.uuid4(),
            name=body.name,
            prefix=display_prefix(secret),
            key_hash=hash_api_key(secret),
            scopes=sorted(item.value for item in scopes),
            tenant_id=body.tenant_id,
            created_by=principal.key,
            expires_at=body.expires_at,
        )
        await ApiKeyRepository(session).create(api_key)
        return api_key, secret

    async def list(self, session: AsyncSession, *, page: PageParams) -> PageOf[ApiKey]:
        """A page of keys."""
        return await ApiKeyRepository(session).list_page(page=page)

    async def revoke(self, session: AsyncSession, *, key_id: uuid.UUID) -> ApiKey:
        """Revoke a key at once; revoking twice keeps the first time."""
        repository = ApiKeyRepository(session)
        api_key = await repository.get(key_id)
        if api_key is None:
            raise ApiKeyNotFound
        if api_key.revoked_at is None:
            api_key.revoked_at = datetime.now(UTC)
            await repository.flush()
        return api_key


api_key = ApiKeyService()
