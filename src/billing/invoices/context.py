"""What invoice rules need to know about the operator, the tenant and today."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from billing.billing_profiles.repository import BillingProfileRepository
from billing.core.clock import today_in
from billing.core.tenancy import AccessScope
from billing.models.billing_profile import BillingProfile
from billing.models.tenant import Reseller, Tenant
from billing.resellers.repository import ResellerRepository
from billing.settings.schemas import OperatorSettings
from billing.settings.service import settings as settings_service
from billing.tenants.service import tenant as tenant_service


@dataclass(frozen=True, slots=True)
class BuyerContext:
    """A tenant with its billing profile and its reseller (if it has one)."""

    tenant: Tenant
    profile: BillingProfile | None
    reseller: Reseller | None = None


async def load_buyer(
    session: AsyncSession, scope: AccessScope, tenant_id: uuid.UUID
) -> BuyerContext:
    """The visible tenant (404 otherwise), its billing profile and its reseller."""
    tenant = await tenant_service.get(session, scope=scope, tenant_id=tenant_id)
    profile = await BillingProfileRepository(session, scope).get(tenant.id)
    reseller = (
        await ResellerRepository(session, scope).get(tenant.reseller_id)
        if tenant.reseller_id is not None
        else None
    )
    return BuyerContext(tenant=tenant, profile=profile, reseller=reseller)


async def load_settings(session: AsyncSession) -> tuple[OperatorSettings, date]:
    """The operator settings and today's date in the operator's time zone."""
    current = await settings_service.get(session)
    return current, today_in(current.timezone)
