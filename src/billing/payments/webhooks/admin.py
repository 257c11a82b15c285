"""Operator staff read the inbox: every provider delivery and what it changed, including C2B
payments held for reconciliation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query

from billing.auth import capabilities
from billing.auth.dependencies import StaffScope, require
from billing.auth.principal import Permission
from billing.core.envelope import ListResponse
from billing.core.errors import Forbidden
from billing.core.gated_router import GatedRouter
from billing.core.pagination import Page
from billing.core.schemas import ReadSchema
from billing.core.session import Session
from billing.core.tenancy import ScopeKind
from billing.payments.webhooks.inbox import InboxRepository
from billing.routing import TransactionalRoute

router = GatedRouter(prefix="/provider-events", tags=["payments"], route_class=TransactionalRoute)


class ProviderEventRead(ReadSchema):
    """One provider delivery as stored, and the outcome of its settlement job."""

    id: uuid.UUID
    provider: str
    kind: str
    provider_ref: str | None
    outcome: str | None
    payload: dict[str, Any]
    received_at: datetime
    processed_at: datetime | None


async def _operator_only(scope: StaffScope) -> None:
    # Deliveries are operator-level: a reseller would see other resellers' payers in them.
    if scope.kind is not ScopeKind.ADMIN:
        raise Forbidden("Provider deliveries are visible to operator staff only.")


@router.get(
    "",
    name="provider_events_list",
    dependencies=[require(Permission.PAYMENTS_READ), Depends(_operator_only)],
)
async def list_provider_events(
    session: Session,
    page: Page,
    provider: Annotated[str | None, Query(max_length=30)] = None,
    outcome: Annotated[
        str | None,
        Query(max_length=100, description="e.g. held_for_reconciliation, awaiting_confirmation"),
    ] = None,
    provider_ref: Annotated[str | None, Query(max_length=200)] = None,
) -> ListResponse[ProviderEventRead]:
    """Provider deliveries (callbacks, IPNs, webhooks), newest first, with their outcome."""
    await capabilities.open_inbox(session)
    result = await InboxRepository(session).list_page(
        provider=provider, outcome=outcome, provider_ref=provider_ref, page=page
    )
    return ListResponse.from_page(result, page=page, read=ProviderEventRead.model_validate)
