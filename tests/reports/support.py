"""Helpers that build a ledger through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.auth import Tokens


async def pay(
    client: httpx.AsyncClient,
    tokens: Tokens,
    invoice_id: str,
    amount: str,
    *,
    method: str = "cash",
    paid_at: str | None = None,
) -> Any:
    """Record a payment of ``amount`` on an invoice (as admin)."""
    body: dict[str, Any] = {"amount": amount, "method": method}
    if paid_at is not None:
        body["paid_at"] = paid_at
    response = await client.post(
        f"/api/v1/admin/invoices/{invoice_id}/payments", json=body, headers=tokens.admin()
    )
    assert response.status_code in (200, 201), response.text
    return response.json()["data"]


def line(price: str, quantity: str = "1") -> dict[str, str]:
    """One invoice line."""
    return {"name": "Service", "quantity": quantity, "unit_price": price}
