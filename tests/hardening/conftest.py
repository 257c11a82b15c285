"""Settings and objects shared by the hardening tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.fixtures.factories import Factory

ADMIN = "/api/v1/admin"


@pytest.fixture(autouse=True)
async def hardening_settings(factory: Factory) -> AsyncIterator[None]:
    """The settings these tests need; the ones found are put back afterwards, so the tests
    that share this worker's database see no switch these turned on."""
    before = await factory.get_settings()
    await factory.put_settings(
        enable_cash=True,
        enable_bank_payments=True,
        enable_cash_on_delivery=True,
        default_tax_rate="16.00",
        enabled_currencies=["EUR", "KES", "JPY", "KWD"],
        default_paper_size="A4",
        timezone="UTC",
    )
    yield
    await factory.put_settings(**before)


@pytest.fixture
async def tenant(factory: Factory) -> Any:
    return await factory.create_tenant(default_currency="KES", country_code="KE")


async def issued(factory: Factory, tenant_id: str, subtotal: str = "100.00", **fields: Any) -> Any:
    """An issued invoice; 16 % VAT makes its total 1.16 x subtotal."""
    return await factory.create_invoice(tenant_id, subtotal=subtotal, status="issued", **fields)
