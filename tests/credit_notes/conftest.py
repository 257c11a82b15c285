"""Fixtures of the credit note tests: the complete German seller and buyer of the document
tests (every e-invoice format valid), manual payment methods on, settings restored after."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from billing.core.db import libpq_database_url
from tests.documents.conftest import buyer, create_buyer, issue, restore_settings
from tests.fixtures.auth import Tokens

__all__ = ["buyer", "create_buyer", "issue", "restore_settings"]

ADMIN = "/api/v1/admin"
TENANT = "/api/v1/billing"


def credit_notes_url(invoice_id: str) -> str:
    """Where staff issue credit notes of an invoice."""
    return f"{ADMIN}/invoices/{invoice_id}/credit-notes"


async def credit(
    client: httpx.AsyncClient, tokens: Tokens, invoice_id: str, **body: Any
) -> httpx.Response:
    """POST a credit note (as admin); ``reason`` defaults to a fixed text."""
    payload = {"reason": "Service not delivered", **body}
    return await client.post(credit_notes_url(invoice_id), json=payload, headers=tokens.admin())


async def invoice_detail(client: httpx.AsyncClient, tokens: Tokens, invoice_id: str) -> Any:
    """The invoice as staff see it."""
    response = await client.get(f"{ADMIN}/invoices/{invoice_id}", headers=tokens.admin())
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def pay(
    client: httpx.AsyncClient, tokens: Tokens, invoice_id: str, amount: str, method: str = "cash"
) -> Any:
    """Record a manual payment (as admin) and return it."""
    response = await client.post(
        f"{ADMIN}/invoices/{invoice_id}/payments",
        json={"amount": amount, "method": method},
        headers=tokens.admin(),
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]["payment"]


async def owner_rows(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    """Rows read as the owner (no RLS), to check what the ledger holds."""
    connection = await asyncpg.connect(libpq_database_url(database_url))
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


def tenant_headers(tokens: Tokens, tenant: Any) -> dict[str, str]:
    """A tenant owner of ``tenant``."""
    return tokens.owner(uuid.UUID(tenant["id"]))
