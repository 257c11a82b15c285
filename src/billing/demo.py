"""Idempotent demo data for ``billing seed-demo`` and ``make run``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from billing.auth import capabilities
from billing.config import Settings
from billing.core.db import Database
from billing.models.tenant import Reseller, Tenant

_NAMESPACE = uuid.UUID("7d3f3c1e-6a43-4a8e-9d8e-0b1f1d2f5a10")


def demo_id(name: str) -> uuid.UUID:
    """Stable ids so seeding twice changes nothing."""
    return uuid.uuid5(_NAMESPACE, name)


@dataclass(frozen=True, slots=True)
class DemoIds:
    """What the demo created."""

    reseller_id: uuid.UUID
    tenant_ids: tuple[uuid.UUID, uuid.UUID]


async def seed(url: str, settings: Settings) -> DemoIds:
    """Create (or refresh) one reseller and two tenants, one of them under the reseller."""
    database = Database.connect(url, role=settings.app_role, pool_size=1, max_overflow=0)
    reseller_id = demo_id("reseller:nairobi-partners")
    acme_id = demo_id("tenant:acme")
    globex_id = demo_id("tenant:globex")
    try:
        async with database.sessionmaker() as session, session.begin():
            await capabilities.operator_scope(session)
            await session.merge(
                Reseller(
                    id=reseller_id,
                    name="Nairobi Partners",
                    commission_rate=Decimal("10.00"),
                    email="partners@example.com",
                )
            )
            await session.flush()
            await session.merge(
                Tenant(
                    id=acme_id,
                    name="Acme GmbH",
                    legal_name="Acme Software GmbH",
                    email="billing@acme.example",
                    country_code="DE",
                    default_currency="EUR",
                )
            )
            await session.merge(
                Tenant(
                    id=globex_id,
                    name="Globex Kenya",
                    legal_name="Globex Kenya Ltd",
                    email="accounts@globex.example",
                    country_code="KE",
                    default_currency="KES",
                    reseller_id=reseller_id,
                )
            )
    finally:
        await database.dispose()
    return DemoIds(reseller_id=reseller_id, tenant_ids=(acme_id, globex_id))
