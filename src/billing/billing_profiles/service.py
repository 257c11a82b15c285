"""Business rules for billing profiles."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from billing.billing_profiles.errors import InvalidBillingProfile
from billing.billing_profiles.repository import BillingProfileRepository
from billing.billing_profiles.schemas import BillingProfileUpdate
from billing.core.tenancy import AccessScope
from billing.models.billing_profile import BillingProfile
from billing.tenants.service import tenant as tenant_service


class BillingProfileService:
    """Read and merge a tenant's billing profile within the caller's scope."""

    async def get(
        self, session: AsyncSession, *, scope: AccessScope, tenant_id: uuid.UUID
    ) -> BillingProfile | None:
        """The profile of a visible tenant; ``None`` until it is first saved."""
        await tenant_service.get(session, scope=scope, tenant_id=tenant_id)
        return await BillingProfileRepository(session, scope).get(tenant_id)

    async def upsert(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        tenant_id: uuid.UUID,
        body: BillingProfileUpdate,
    ) -> BillingProfile:
        """Create the profile or merge ``body`` into it: fields left out keep their values."""
        await tenant_service.get(session, scope=scope, tenant_id=tenant_id)
        changes = body.model_dump(exclude_unset=True, mode="json")
        if "attach_einvoice_to_email" in changes and changes["attach_einvoice_to_email"] is None:
            changes["attach_einvoice_to_email"] = False
        profile = await BillingProfileRepository(session, scope).upsert(tenant_id, changes)
        # Checked on the merged row the upsert returned (and still locks): an error here rolls
        # the write back with the rest of the request's transaction.
        self._check(profile)
        return profile

    def _check(self, profile: BillingProfile) -> None:
        has_endpoint = profile.peppol_endpoint_id is not None
        has_scheme = profile.peppol_scheme is not None
        if has_endpoint and not has_scheme:
            raise InvalidBillingProfile(
                "peppol_endpoint_id needs peppol_scheme (its EAS code, e.g. '0088' or '9930'); "
                "send both, or clear both."
            )
        if has_scheme and not has_endpoint:
            raise InvalidBillingProfile(
                "peppol_scheme needs peppol_endpoint_id (the electronic address it qualifies); "
                "send both, or clear both."
            )


billing_profile = BillingProfileService()
