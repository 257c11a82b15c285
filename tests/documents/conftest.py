"""Fixtures of the document tests: a complete seller and buyer, settings restored afterwards."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from lxml import etree
from pypdf import PdfReader

from billing.core.db import libpq_database_url
from billing.settings.schemas import SettingsUpdate
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

ADMIN_INVOICES = "/api/v1/admin/invoices"
TENANT_INVOICES = "/api/v1/billing/invoices"
PUBLIC_INVOICES = "/api/v1/public/invoices"

SELLER: dict[str, Any] = {
    "legal_name": "Nordlicht Cloud GmbH",
    "trading_name": "Nordlicht",
    "address_line1": "Hauptstraße 1",
    "address_line2": None,
    "postal_code": "10115",
    "city": "Berlin",
    "country_code": "DE",
    "vat_id": "DE123456789",
    "tax_number": None,
    "registration_id": "HRB 123456",
    "contact_name": "Anna Schmidt",
    "phone": "+49 30 1234567",
    "email": "billing@nordlicht.example",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "bank_name": "Commerzbank",
    "logo_url": None,
    "peppol_endpoint_id": "DE123456789",
    "peppol_scheme": "9930",
}

BUYER_PROFILE: dict[str, Any] = {
    "company_name": "Kunde AG",
    "address_line1": "Marktplatz 5",
    "postal_code": "80331",
    "city": "München",
    "country_code": "DE",
    "vat_id": "DE987654321",
    "billing_email": "ap@kunde.example",
    "contact_name": "Jonas Weber",
    "phone": "+49 89 7654321",
    "buyer_reference": "04011000-12345-34",
    "peppol_endpoint_id": "DE987654321",
    "peppol_scheme": "9930",
}

ITEMS: list[dict[str, Any]] = [
    {"name": "Cloud plan", "quantity": "1.5", "unit_price": "33.333", "tax_rate": "19"},
    {"name": "Support hours", "quantity": "3", "unit_price": "7.77", "tax_rate": "7"},
    {"name": "Setup", "sku": "SETUP-1", "quantity": "1", "unit_price": "120", "tax_rate": "19"},
]

UBL_NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
CII_NS = {
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
}


@pytest.fixture(autouse=True)
async def restore_settings(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> AsyncIterator[None]:
    """Settings are one row per database: put back whatever a test changed."""
    response = await client.get("/api/v1/admin/settings", headers=tokens.admin())
    assert response.status_code == 200, response.text
    before = response.json()["data"]
    await factory.put_settings(
        seller=SELLER,
        enabled_currencies=["EUR", "KES", "JPY"],
        enable_cash=True,
        enable_bank_payments=True,
        enable_mpesa=True,
        default_paper_size="A4",
        timezone="UTC",
    )
    yield
    restorable = {key: value for key, value in before.items() if key in SettingsUpdate.model_fields}
    await factory.put_settings(**restorable)


async def create_buyer(
    factory: Factory,
    tokens: Tokens,
    *,
    reseller_id: uuid.UUID | None = None,
    email: str | None = "office@kunde.example",
    **profile: Any,
) -> Any:
    """A German tenant with a complete billing profile (fields in ``profile`` override it)."""
    fields: dict[str, Any] = {"country_code": "DE", "default_currency": "EUR"}
    if email:
        fields["email"] = email
    tenant = await factory.create_tenant(reseller_id=reseller_id, **fields)
    response = await factory.client.put(
        f"/api/v1/admin/tenants/{tenant['id']}/billing-profile",
        json={**BUYER_PROFILE, **profile},
        headers=tokens.admin(),
    )
    assert response.status_code == 200, response.text
    return tenant


@pytest.fixture
async def buyer(factory: Factory, tokens: Tokens) -> Any:
    """A tenant whose invoices can become every kind of e-invoice."""
    return await create_buyer(factory, tokens)


async def issue(factory: Factory, tenant_id: str, **fields: Any) -> Any:
    """An issued invoice with three lines at two VAT rates and a discount."""
    body: dict[str, Any] = {
        "status": "issued",
        "items": ITEMS,
        "discount_amount": "5.01",
        "due_date": "2099-12-31",
        **fields,
    }
    return await factory.create_invoice(tenant_id, **body)


def ubl_totals(xml: bytes) -> dict[str, str]:
    """BT-106, BT-109, BT-110, BT-112 and BT-115 of a UBL invoice."""
    root = etree.fromstring(xml)
    total = root.find("cac:LegalMonetaryTotal", UBL_NS)
    assert total is not None
    return {
        "BT-106": total.findtext("cbc:LineExtensionAmount", namespaces=UBL_NS) or "",
        "BT-109": total.findtext("cbc:TaxExclusiveAmount", namespaces=UBL_NS) or "",
        "BT-110": root.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=UBL_NS) or "",
        "BT-112": total.findtext("cbc:TaxInclusiveAmount", namespaces=UBL_NS) or "",
        "BT-115": total.findtext("cbc:PayableAmount", namespaces=UBL_NS) or "",
    }


def cii_totals(xml: bytes) -> dict[str, str]:
    """BT-106, BT-109, BT-110, BT-112 and BT-115 of a CII invoice."""
    root = etree.fromstring(xml)
    summation = root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", CII_NS)
    assert summation is not None

    def amount(name: str) -> str:
        return summation.findtext(f"ram:{name}", namespaces=CII_NS) or ""

    return {
        "BT-106": amount("LineTotalAmount"),
        "BT-109": amount("TaxBasisTotalAmount"),
        "BT-110": amount("TaxTotalAmount"),
        "BT-112": amount("GrandTotalAmount"),
        "BT-115": amount("DuePayableAmount"),
    }


def api_totals(invoice: dict[str, Any]) -> dict[str, str]:
    """The same terms from the API's invoice representation."""
    net = Decimal(invoice["subtotal"]) - Decimal(invoice["discount_amount"])
    return {
        "BT-106": invoice["subtotal"],
        "BT-109": str(net),
        "BT-110": invoice["tax_amount"],
        "BT-112": invoice["total_amount"],
        "BT-115": invoice["total_amount"],
    }


def page_size(content: bytes) -> tuple[float, float]:
    """(width, height) in points of the first page."""
    box = PdfReader(io.BytesIO(content)).pages[0].mediabox
    return round(float(box.width), 1), round(float(box.height), 1)


async def stored_rows(database_url: str, invoice_id: str) -> list[asyncpg.Record]:
    """The stored renditions of an invoice, read as the owner (no RLS)."""
    connection = await asyncpg.connect(libpq_database_url(database_url))
    try:
        return list(
            await connection.fetch(
                "SELECT format, paper_size, presentation_key, sha256 FROM invoice_documents"
                " WHERE invoice_id = $1 ORDER BY created_at",
                uuid.UUID(invoice_id),
            )
        )
    finally:
        await connection.close()


async def set_pdf_url(database_url: str, invoice_id: str, url: str) -> None:
    """Point an invoice at a PDF stored elsewhere (no API sets ``pdf_url``)."""
    connection = await asyncpg.connect(libpq_database_url(database_url))
    try:
        await connection.execute(
            "UPDATE invoices SET pdf_url = $2 WHERE id = $1", uuid.UUID(invoice_id), url
        )
    finally:
        await connection.close()
