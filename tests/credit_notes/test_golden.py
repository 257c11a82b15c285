"""Golden files of credit notes made through the real API: a full and a partial one.

An invoice with fixed number and dates is issued through the API, credited in full (another
one by lines, with its share of the discount), and each credit note is downloaded in every
XML format as a tenant would. The XML must equal ``tests/renderers/golden/<case>.<format>.xml``
byte for byte and pass the XSD and EN 16931 schematron. Regenerate with ``make golden`` (or
``BILLING_UPDATE_GOLDEN=1``) and review the diff.
"""

from __future__ import annotations

from typing import Any

import httpx

from billing.renderers.validation import validate_xml
from billing.renderers.zugferd import embedded_xml
from tests.credit_notes.conftest import TENANT, credit, tenant_headers
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.renderers.golden_matrix import API_GOLDEN_CASES
from tests.renderers.test_golden import FORMATS, GOLDEN_DIR, UPDATE, readable_diff

ITEMS = [
    {"name": "Cloud plan", "quantity": "1.5", "unit_price": "33.333", "tax_rate": "19"},
    {"name": "Support hours", "quantity": "3", "unit_price": "7.77", "tax_rate": "7"},
    {"name": "Setup", "sku": "SETUP-1", "quantity": "1", "unit_price": "120", "tax_rate": "19"},
]


async def golden_invoice(factory: Factory, tenant_id: str, number: str) -> Any:
    return await factory.create_invoice(
        tenant_id,
        items=ITEMS,
        discount_amount="5.01",
        status="issued",
        invoice_number=number,
        issue_date="2026-05-01",
        due_date="2026-05-31",
        purchase_order_reference="PO-7781",
    )


async def test_credit_notes_from_the_api_equal_their_golden_files(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
) -> None:
    await factory.put_settings(credit_note_prefix="GCN", credit_note_series="yearly_sequence")
    full_invoice = await golden_invoice(factory, buyer["id"], "INV-GOLDEN-1")
    partial_invoice = await golden_invoice(factory, buyer["id"], "INV-GOLDEN-2")
    full = await credit(
        client, tokens, full_invoice["id"], reason="Order cancelled", issue_date="2026-05-20"
    )
    partial = await credit(
        client,
        tokens,
        partial_invoice["id"],
        reason="One support hour and half the plan not delivered",
        issue_date="2026-05-21",
        lines=[
            {"invoice_item_id": partial_invoice["items"][0]["id"], "quantity": "0.5"},
            {"invoice_item_id": partial_invoice["items"][1]["id"], "quantity": "1"},
        ],
    )
    notes = {"api_credit_note_full": full, "api_credit_note_partial": partial}
    assert set(notes) == set(API_GOLDEN_CASES)
    failures: list[str] = []
    for case, response in notes.items():
        assert response.status_code == 201, response.text
        note = response.json()["data"]
        for name, (document_format, syntax) in FORMATS.items():
            download = await client.get(
                f"{TENANT}/credit-notes/{note['id']}/download?format={document_format.value}",
                headers=tenant_headers(tokens, buyer),
            )
            assert download.status_code == 200, download.text
            xml = download.content
            if name == "facturx":
                xml = embedded_xml(xml)
            assert validate_xml(xml, syntax) == [], (case, name)
            path = GOLDEN_DIR / f"{case}.{name}.xml"
            if UPDATE:
                path.write_bytes(xml)
            assert path.exists(), f"{path.name} is missing; regenerate with make golden"
            if path.read_bytes() != xml:
                failures.append(f"{path.name}:\n{readable_diff(path.read_bytes(), xml)}")
    assert not failures, "\n\n".join(failures)
