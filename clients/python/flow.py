"""A short flow through the generated Python client (openapi-python-client).

Sets a seller that XRechnung accepts, creates a German buyer with a billing profile, issues
an invoice and downloads its PDF and XRechnung, which must come back as bytes. Run by
``clients/check`` with the generated ``billing_client`` package on the path.

Usage: python flow.py BASE_URL ADMIN_TOKEN
"""

from __future__ import annotations

import sys
import uuid

from billing_client import AuthenticatedClient
from billing_client.api.api_keys import api_keys_create
from billing_client.api.billing_profile import (
    tenant_billing_profile_get,
    tenant_billing_profile_upsert,
)
from billing_client.api.invoices import (
    invoices_create,
    invoices_download,
    invoices_get,
    invoices_pdf,
)
from billing_client.api.payments import invoices_pay_cash
from billing_client.api.settings import settings_update
from billing_client.api.tenants import tenants_create
from billing_client.models import (
    ApiKeyCreate,
    ApiKeyCreatedResponse,
    BillingProfileUpdate,
    CashPaidResponse,
    CashPayRequest,
    EInvoiceFormat,
    InvoiceCreate,
    InvoiceReadResponse,
    InvoiceStatus,
    LineInput,
    OperatorSettingsResponse,
    OptionalBillingProfileReadResponse,
    Permission,
    Seller,
    SettingsUpdate,
    TenantCreate,
    TenantReadResponse,
)
from billing_client.types import File


def main(base_url: str, token: str) -> None:
    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    settings = settings_update.sync(
        client=client,
        body=SettingsUpdate(
            seller=Seller(
                legal_name="Nordlicht Cloud GmbH",
                address_line1="Hauptstraße 1",
                postal_code="10115",
                city="Berlin",
                country_code="DE",
                vat_id="DE123456789",
                contact_name="Anna Schmidt",
                phone="+49 30 1234567",
                email="billing@nordlicht.example",
                iban="DE89370400440532013000",
                bic="COBADEFFXXX",
            ),
            enabled_currencies=["EUR", "KES"],
        ),
    )
    assert isinstance(settings, OperatorSettingsResponse), settings
    tenant = tenants_create.sync(
        client=client,
        body=TenantCreate(
            name=f"Kunde {uuid.uuid4().hex[:6]}", country_code="DE", default_currency="EUR"
        ),
    )
    assert isinstance(tenant, TenantReadResponse), tenant
    tenant_id = tenant.data.id
    tenant_billing_profile_upsert.sync(
        tenant_id,
        client=client,
        body=BillingProfileUpdate(
            company_name="Kunde AG",
            address_line1="Marktplatz 5",
            postal_code="80331",
            city="München",
            country_code="DE",
            vat_id="DE987654321",
            billing_email="ap@kunde.example",
            buyer_reference="04011000-12345-34",
            preferred_einvoice_format=EInvoiceFormat.XRECHNUNG,
        ),
    )
    invoice = invoices_create.sync(
        client=client,
        body=InvoiceCreate(
            tenant_id=tenant_id,
            status=InvoiceStatus.ISSUED,
            items=[LineInput(name="Cloud plan", quantity="2.5", unit_price="40.00", tax_rate="19")],
        ),
    )
    assert isinstance(invoice, InvoiceReadResponse), invoice
    invoice_id = invoice.data.id
    assert invoice.data.total_amount == "119.00", invoice.data.total_amount

    pdf = invoices_pdf.sync(invoice_id, client=client)
    assert isinstance(pdf, File), pdf
    pdf_bytes = pdf.payload.read()
    assert pdf_bytes.startswith(b"%PDF-"), pdf_bytes[:20]

    xrechnung = invoices_download.sync(invoice_id, client=client, format_=EInvoiceFormat.XRECHNUNG)
    assert isinstance(xrechnung, File), xrechnung
    xml = xrechnung.payload.read()
    assert b"urn:xeinkauf.de:kosit:xrechnung_3.0" in xml, xml[:200]
    # Names read like a hand-written SDK: Optional...Response, Permission.INVOICES_READ,
    # invoices_pay_cash (clients/check fails on leftover generic names).
    profile = tenant_billing_profile_get.sync(tenant_id, client=client)
    assert isinstance(profile, OptionalBillingProfileReadResponse), profile
    assert profile.data is not None and profile.data.company_name == "Kunde AG", profile
    key = api_keys_create.sync(
        client=client,
        body=ApiKeyCreate(name="flow reader", scopes=[Permission.INVOICES_READ]),
    )
    assert isinstance(key, ApiKeyCreatedResponse), key
    reader = AuthenticatedClient(
        base_url=base_url, token=key.data.secret, raise_on_unexpected_status=True
    )
    seen = invoices_get.sync(invoice_id, client=reader)
    assert isinstance(seen, InvoiceReadResponse), seen
    paid = invoices_pay_cash.sync(
        invoice_id,
        client=client,
        body=CashPayRequest(payment_method="cash", amount_given="120.00"),
    )
    assert isinstance(paid, CashPaidResponse), paid
    assert paid.data.invoice.status == InvoiceStatus.PAID, paid.data.invoice.status
    assert paid.data.cash_transaction.change_amount == "1.00", paid.data.cash_transaction
    print(
        f"python client: invoice {invoice.data.invoice_number}, "
        f"PDF {len(pdf_bytes)} bytes, XRechnung {len(xml)} bytes"
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
