"""The live stack of the collection tests: the app over real HTTP beside the Stripe fake."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx

from billing.core.db import libpq_database_url
from billing_fakes.stripe import TEST_METHODS
from tests.conftest import OPERATOR_SELLER
from tests.fixtures.auth import Tokens
from tests.fixtures.waiting import eventually
from tests.payments.cards.cards_support import StripeFake, Tenant, save_stripe_method

ADMIN = "/api/v1/admin"
D0 = date(2027, 5, 10)


@dataclass(frozen=True)
class Stack:
    app_url: str
    stripe: StripeFake
    database_url: str

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(libpq_database_url(self.database_url))
        try:
            return list(await connection.fetch(query, *args))
        finally:
            await connection.close()

    async def jobs_idle(self) -> None:
        """Wait until the worker has run every billing job queued so far."""

        async def idle() -> bool:
            rows = await self.fetch(
                "SELECT count(*) AS n FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
                " AND task_name LIKE 'billing.%' AND task_name NOT IN"
                " ('billing.sweep_attempts', 'billing.recover_stalled_jobs')"
                " AND (scheduled_at IS NULL OR scheduled_at <= now())"
            )
            return int(rows[0]["n"]) == 0

        await asyncio.sleep(0.2)
        await eventually(idle, within=30, interval=0.1)


class Live:
    def __init__(self, http: httpx.AsyncClient, tokens: Tokens, stack: Stack) -> None:
        self.http = http
        self.tokens = tokens
        self.stack = stack
        self.admin = tokens.admin()

    async def call(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = await self.http.request(method, path, json=body, headers=self.admin)
        assert response.status_code == status, response.text
        return response.json()["data"]

    async def settings(self, **fields: Any) -> None:
        await self.call(
            "PUT",
            f"{ADMIN}/settings",
            {
                "seller": OPERATOR_SELLER,
                "enable_stripe": True,
                "enabled_currencies": ["EUR"],
                "default_currency": "EUR",
                "timezone": "UTC",
                **fields,
            },
        )

    async def move_to(self, when: datetime) -> None:
        """Move the clock (queuing a billing cycle run) and wait for the worker."""
        await self.call("POST", "/api/v1/test/clock", {"now": when.isoformat()})
        await self.stack.jobs_idle()

    async def subscriber(self, card: str) -> tuple[Tenant, Any]:
        response = await self.http.post(
            f"{ADMIN}/tenants",
            json={
                "name": f"Card {uuid.uuid4().hex[:6]}",
                "country_code": "KE",
                "email": "a@b.example",
            },
            headers=self.admin,
        )
        assert response.status_code == 201, response.text
        tenant_id = response.json()["data"]["id"]
        tenant = Tenant(
            tenant_id,
            self.tokens.owner(uuid.UUID(tenant_id)),
            self.tokens.member(uuid.UUID(tenant_id)),
        )
        method = await save_stripe_method(self.http, self.stack, tenant, card)  # type: ignore[arg-type]
        return tenant, method

    async def record(self, subscription_id: str) -> Any:
        (record,) = await self.call("GET", f"{ADMIN}/subscriptions/{subscription_id}/invoices")
        return record

    async def subscription(self, subscription_id: str) -> Any:
        return await self.call("GET", f"{ADMIN}/subscriptions/{subscription_id}")

    async def price(self, amount: str = "20.00", **fields: Any) -> Any:
        product = await self.call(
            "POST",
            f"{ADMIN}/products",
            {"code": uuid.uuid4().hex, "name": "Plan", "unit_price": "0", "currency": "EUR"},
            status=201,
        )
        return await self.call(
            "POST",
            f"{ADMIN}/prices",
            {"product_id": product["id"], "unit_amount": amount, "interval": "month", **fields},
            status=201,
        )


def noon(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def intents_for(stack: Stack, invoice_id: str) -> list[dict[str, Any]]:
    with stack.stripe.state.lock:
        return [
            intent
            for intent in stack.stripe.state.payment_intents.values()
            if intent["metadata"].get("invoice_id") == invoice_id
        ]


def switch_card(stack: Stack, method_ref: str, to: str) -> None:
    with stack.stripe.state.lock:
        stack.stripe.state.method_behaviour[method_ref] = TEST_METHODS[to]


async def method_ref(stack: Stack, method_id: str) -> str:
    rows = await stack.fetch(
        "SELECT provider_ref FROM payment_methods WHERE id = $1::uuid", method_id
    )
    return str(rows[0]["provider_ref"])
