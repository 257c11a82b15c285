"""Admin routes for API keys (``/api/v1/admin/api-keys``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from billing.api_keys.errors import ApiKeyNotFound, InvalidApiKeyScopes
from billing.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from billing.api_keys.service import api_key as api_key_service
from billing.auth.dependencies import StaffScope, require
from billing.auth.principal import Permission, Principal
from billing.core.envelope import ApiResponse, ListResponse, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.pagination import Page
from billing.core.session import Session
from billing.routing import TransactionalRoute
from billing.tenants.errors import TenantNotFound

router = GatedRouter(prefix="/api-keys", tags=["api-keys"], route_class=TransactionalRoute)

ApiKeyManager = Annotated[Principal, require(Permission.API_KEYS_MANAGE)]


@router.post(
    "",
    name="api_keys_create",
    status_code=201,
    responses=error_responses(InvalidApiKeyScopes, TenantNotFound),
)
async def create_api_key(
    body: ApiKeyCreate, principal: ApiKeyManager, scope: StaffScope, session: Session
) -> ApiResponse[ApiKeyCreated]:
    """Issue an API key; the secret is in this response only."""
    created, secret = await api_key_service.create(
        session, scope=scope, principal=principal, body=body
    )
    read = ApiKeyRead.model_validate(created)
    return ApiResponse(data=ApiKeyCreated(**read.model_dump(), secret=secret))


@router.get("", name="api_keys_list")
async def list_api_keys(
    principal: ApiKeyManager, scope: StaffScope, session: Session, page: Page
) -> ListResponse[ApiKeyRead]:
    """List API keys (never their secrets)."""
    result = await api_key_service.list(session, page=page)
    return ListResponse.from_page(result, page=page, read=ApiKeyRead.model_validate)


@router.delete("/{key_id}", name="api_keys_revoke", responses=error_responses(ApiKeyNotFound))
async def revoke_api_key(
    key_id: uuid.UUID, principal: ApiKeyManager, scope: StaffScope, session: Session
) -> ApiResponse[ApiKeyRead]:
    """Revoke an API key; it stops working at once."""
    revoked = await api_key_service.revoke(session, key_id=key_id)
    return ApiResponse(data=ApiKeyRead.model_validate(revoked))
