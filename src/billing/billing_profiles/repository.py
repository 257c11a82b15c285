"""Every SQL statement about billing profiles."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from billing.models.billing_profile import BillingProfile
from billing.repositories import ScopedRepository


class BillingProfileRepository(ScopedRepository[BillingProfile]):
    """Billing profiles of the tenants visible in the request's scope (one per tenant)."""

    model = BillingProfile
    tenant_column = "tenant_id"

    async def get(self, tenant_id: uuid.UUID) -> BillingProfile | None:
        """The tenant's profile, or ``None`` before it was first saved."""
        return await self.get_one_or_none(
            self.base_statement().where(BillingProfile.tenant_id == tenant_id)
        )

    async def upsert(self, tenant_id: uuid.UUID, changes: Mapping[str, Any]) -> BillingProfile:
        """Insert the profile, or merge ``changes`` into the stored one, in one statement.

        Columns not named in ``changes`` keep their values. The row stays locked until the
        transaction ends, so concurrent merges apply one after the other. The caller has checked
        that the tenant is visible in the scope; row-level security refuses the write otherwise.
        """
        insert_row = insert(BillingProfile).values(tenant_id=tenant_id, **changes)
        merge: dict[str, Any] = (
            {**changes, "updated_at": insert_row.excluded.updated_at}
            if changes
            else {"tenant_id": insert_row.excluded.tenant_id}
        )
        upsert_row = insert_row.on_conflict_do_update(
            index_elements=[BillingProfile.tenant_id], set_=merge
        ).returning(BillingProfile)
        stored: BillingProfile = (
            await self.session.scalars(
                select(BillingProfile)
                .from_statement(upsert_row)
                .execution_options(populate_existing=True)
            )
        ).one()
        return stored
