"""Driving subscriptions through the API, and the billing cycle as a worker runs it."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from billing.subscriptions.cycle import CycleContext, CycleReport, run_cycle
from tests.fixtures.auth import Tokens

ADMIN = "/api/v1/admin"
BILLING = "/api/v1/billing"


class Billing:
    """Catalog, tenants, subscriptions and the clock, through the real routes."""

    def __init__(self, http: httpx.AsyncClient, tokens: Tokens, cycle: CycleContext) -> None:
        self.http = http
        self.tokens = tokens
        self.cycle = cycle

    @property
    def admin(self) -> dict[str, str]:
        return self.tokens.admin()

    async def ok(self, response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()["data"]

    async def post(self, path: str, body: dict[str, Any], status: int = 200) -> Any:
        return await self.ok(await self.http.post(path, json=body, headers=self.admin), status)

    async def get(self, path: str, **params: Any) -> Any:
        return await self.ok(await self.http.get(path, params=params, headers=self.admin))

    async def put_settings(self, **fields: Any) -> Any:
        return await self.ok(
            await self.http.put(f"{ADMIN}/settings", json=fields, headers=self.admin)
        )

    # -- catalog and tenants --------------------------------------------------------------

    async def tenant(self, **fields: Any) -> Any:
        body = {"name": f"Tenant {uuid.uuid4().hex[:6]}", "country_code": "KE", **fields}
        return await self.post(f"{ADMIN}/tenants", body, 201)

    async def product(self, **fields: Any) -> Any:
        body = {
            "code": f"PLAN-{uuid.uuid4().hex[:8]}",
            "name": "Plan",
            "unit_price": "0",
            "currency": "EUR",
            **fields,
        }
        return await self.post(f"{ADMIN}/products", body, 201)

    async def price(self, amount: str = "30.00", **fields: Any) -> Any:
        product_id = fields.pop("product_id", None)
        if product_id is None:
            product_id = (await self.product(currency=fields.get("currency", "EUR")))["id"]
        body = {"product_id": product_id, "unit_amount": amount, "interval": "month", **fields}
        return await self.post(f"{ADMIN}/prices", body, 201)

    # -- subscriptions --------------------------------------------------------------------

    async def subscribe(
        self, tenant_id: str, *prices: Any, quantities: list[str] | None = None, **fields: Any
    ) -> Any:
        items = [
            {"price_id": price["id"], "quantity": (quantities or [])[i] if quantities else "1"}
            for i, price in enumerate(prices)
        ]
        body = {"tenant_id": tenant_id, "items": items, **fields}
        body.setdefault("collection_method", "send_invoice")
        return await self.post(f"{ADMIN}/subscriptions", body, 201)

    async def subscription(self, subscription_id: str) -> Any:
        return await self.get(f"{ADMIN}/subscriptions/{subscription_id}")

    async def act(self, subscription_id: str, action: str, **body: Any) -> Any:
        return await self.post(f"{ADMIN}/subscriptions/{subscription_id}/{action}", body)

    async def quote(self, **body: Any) -> Any:
        return await self.post(f"{ADMIN}/proration/calculate", body)

    async def records(self, subscription_id: str) -> list[Any]:
        """The subscription's invoices with their collection state, oldest first."""
        rows = await self.get(f"{ADMIN}/subscriptions/{subscription_id}/invoices", per_page=500)
        return list(reversed(rows))

    async def invoice(self, invoice_id: str) -> Any:
        return await self.get(f"{ADMIN}/invoices/{invoice_id}")

    async def invoices(self, subscription_id: str) -> list[Any]:
        """The subscription's invoices (full invoice bodies), oldest first."""
        return [await self.invoice(r["invoice_id"]) for r in await self.records(subscription_id)]

    async def upcoming(self, tenant_id: str, **params: Any) -> Any:
        return await self.get(f"{ADMIN}/tenants/{tenant_id}/upcoming", **params)

    async def wallet(self, tenant_id: str, currency: str = "EUR") -> Decimal:
        response = await self.http.get(
            f"{BILLING}/wallet", headers=self.tokens.owner(uuid.UUID(tenant_id))
        )
        assert response.status_code == 200, response.text
        balances = response.json()["data"]
        for entry in balances if isinstance(balances, list) else balances.get("balances", []):
            if entry["currency"] == currency:
                return Decimal(entry["balance"])
        return Decimal(0)

    # -- time -----------------------------------------------------------------------------

    async def today(self) -> date:
        data = await self.ok(await self.http.get("/api/v1/test/clock"))
        return date.fromisoformat(data["today"])

    async def move_to(self, day: date) -> Any:
        """Move the service clock to noon UTC of ``day`` (without queuing a cycle); a day
        already reached stays."""
        if await self.today() >= day:
            return None
        return await self.ok(
            await self.http.post(
                "/api/v1/test/clock",
                json={"now": f"{day.isoformat()}T12:00:00+00:00", "run_cycle": False},
            )
        )

    async def advance(self, days: int) -> Any:
        return await self.ok(
            await self.http.post(
                "/api/v1/test/clock", json={"advance_days": days, "run_cycle": False}
            )
        )

    async def reset_clock(self) -> None:
        await self.ok(
            await self.http.post("/api/v1/test/clock", json={"reset": True, "run_cycle": False})
        )

    async def run_cycle(self, as_of: date | None = None) -> CycleReport:
        report = await run_cycle(self.cycle, as_of=as_of)
        assert report.errors == [], report.errors
        return report
