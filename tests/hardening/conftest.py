"""Settings and objects shared by the hardening tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.factories import Factory

ADMIN = "/api/v1/admin"


@pytest.fixture(autouse=True)
async def hardening_settings(factory: Factory) -> None:
    await factory.put_settings(
        enable_cash=True,
        enable_bank_payments=True,
        enable_cash_on_delivery=True,
        default_tax_rate="16.00",
        enabled_currencies=["EUR", "KES", "JPY", "KWD"],
        default_paper_size="A4",
        timezone="UTC",
    )


@pytest.fixture
async def tenant(factory: Factory) -> Any:
    return await factory.create_tenant(default_currency="KES", country_code="KE")


async def issued(factory: Factory, tenant_id: str, subtotal: str = "100.00", **fields: Any) -> Any:
    """An issued invoice; 16 % VAT makes its total 1.16 x subtotal."""
    return await factory.create_invoice(tenant_id, subtotal=subtotal, status="issued", **fields)
