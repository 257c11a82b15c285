"""Helpers shared by the saved-method tests: the live stack, tenants, invoices, saved methods."""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from billing.config import Settings
from billing.core.db import libpq_database_url
from billing.payments.callback_urls import mollie_webhook_url
from billing.providers.registry import ProviderSettings
from billing_fakes.mollie import FakeMollieState
from billing_fakes.server import FakeServer
from billing_fakes.stripe import FakeStripeState
from tests.fixtures.auth import Tokens
from tests.fixtures.waiting import eventually
from tests.providers.stripe.stripe_support import WEBHOOK_SECRET

ADMIN = "/api/v1/admin"
BILLING = "/api/v1/billing"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True, slots=True)
class StripeFake:
    """The fake Stripe server and the state behind it."""

    server: FakeServer
    state: FakeStripeState

    async def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(self.server.url(f"/__control/{path}"), json=body or {})
        assert response.status_code == 200, response.text
        return response.json()

    def requests(self, path: str | None = None) -> list[Any]:
        with self.state.lock:
            return [r for r in self.state.requests if path is None or r.path == path]

    def event_ids(self, event_type: str, object_id: str) -> list[str]:
        """Ids of the events of one type about one object, oldest first."""
        with self.state.lock:
            return [
                event["id"]
                for event in self.state.events.values()
                if event["type"] == event_type and event["data"]["object"]["id"] == object_id
            ]

    async def deliver(self, url: str, events: list[Any], *, repeat: int = 1) -> list[Any]:
        """Sign ``events`` with the endpoint secret and POST them to ``url`` in order."""
        answer = await self.control(
            "webhooks/deliver",
            {"url": url, "secrets": [WEBHOOK_SECRET], "events": events, "repeat": repeat},
        )
        deliveries: list[Any] = answer["deliveries"]
        return deliveries


@dataclass(frozen=True, slots=True)
class MollieFake:
    """The fake Mollie server and the state behind it."""

    server: FakeServer
    state: FakeMollieState

    async def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(self.server.url(f"/__control/{path}"), json=body or {})
        assert response.status_code == 200, response.text
        return response.json()

    async def visit_checkout(self, url: str, **query: str) -> httpx.Response:
        """What the payer's browser does on Mollie's hosted page."""
        async with httpx.AsyncClient(timeout=15) as client:
            return await client.get(url, params=query, follow_redirects=False)

    async def webhook(self, payment_id: str, repeat: int = 1) -> list[Any]:
        """Mollie posting ``id=tr_...`` to the payment's webhookUrl."""
        answer = await self.control(f"payments/{payment_id}/webhook", {"repeat": repeat})
        deliveries: list[Any] = answer["deliveries"]
        return deliveries

    def requests(self, path: str | None = None) -> list[Any]:
        with self.state.lock:
            return [r for r in self.state.requests if path is None or r.path == path]


@dataclass(frozen=True, slots=True)
class CardsStack:
    """The running app and the fakes beside it."""

    app_url: str
    stripe: StripeFake
    mollie: MollieFake
    database_url: str
    provider_settings: ProviderSettings
    settings: Settings

    @property
    def stripe_webhook(self) -> str:
        return f"{self.app_url}/api/v1/webhooks/stripe"

    async def settled(self, provider_ref: str, count: int = 1) -> None:
        """Wait until ``count`` deliveries about ``provider_ref`` have been processed by their
        settlement jobs (the inbox row gets its outcome)."""

        async def done() -> bool:
            processed = await self.fetchval(
                "SELECT count(*) FROM webhook_events"
                " WHERE provider_ref = $1 AND processed_at IS NOT NULL",
                provider_ref,
            )
            return int(processed) >= count

        await eventually(done)

    def mollie_webhook(self) -> str:
        """Mollie's webhook URL, with the deployment's secret token."""
        return mollie_webhook_url(self.app_url, self.settings)

    async def fetchval(self, query: str, *args: Any) -> Any:
        """One value, read as the database owner (to look behind the API)."""
        connection = await asyncpg.connect(libpq_database_url(self.database_url))
        try:
            return await connection.fetchval(query, *args)
        finally:
            await connection.close()


@dataclass(frozen=True, slots=True)
class Tenant:
    """A tenant and the headers of its users."""

    id: str
    owner: dict[str, str]
    member: dict[str, str]


async def create_tenant(http: httpx.AsyncClient, tokens: Tokens, currency: str = "EUR") -> Tenant:
    response = await http.post(
        f"{ADMIN}/tenants",
        headers=tokens.admin(),
        json={
            "name": f"Acme {uuid.uuid4().hex[:6]}",
            "email": "billing@acme.example",
            "default_currency": currency,
        },
    )
    assert response.status_code == 201, response.text
    tenant_id = response.json()["data"]["id"]
    return Tenant(
        id=tenant_id,
        owner=tokens.owner(uuid.UUID(tenant_id)),
        member=tokens.member(uuid.UUID(tenant_id)),
    )


async def create_invoice(
    http: httpx.AsyncClient, tokens: Tokens, tenant: Tenant, amount: str = "49.00"
) -> Any:
    response = await http.post(
        f"{ADMIN}/invoices",
        headers=tokens.admin(),
        json={
            "tenant_id": tenant.id,
            "status": "issued",
            "items": [{"name": "Subscription", "unit_price": amount, "tax_rate": "0"}],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def invoice_state(http: httpx.AsyncClient, tokens: Tokens, invoice_id: str) -> Any:
    response = await http.get(f"{ADMIN}/invoices/{invoice_id}", headers=tokens.admin())
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def invoice_payments(http: httpx.AsyncClient, tokens: Tokens, invoice_id: str) -> Any:
    response = await http.get(f"{ADMIN}/invoices/{invoice_id}/payments", headers=tokens.admin())
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def transaction(http: httpx.AsyncClient, tokens: Tokens, reference: str) -> Any:
    response = await http.get(f"{ADMIN}/transactions/{reference}", headers=tokens.admin())
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def list_methods(http: httpx.AsyncClient, tenant: Tenant) -> Any:
    response = await http.get(f"{BILLING}/payment-methods", headers=tenant.owner)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def save_stripe_method(
    http: httpx.AsyncClient,
    cards: CardsStack,
    tenant: Tenant,
    test_method: str = "pm_card_visa",
    method_type: str = "card",
) -> Any:
    """Setup, the browser's confirmation with Stripe.js, then our confirmation."""
    setup = await http.post(
        f"{BILLING}/payment-providers/stripe/setup",
        headers=tenant.owner,
        json={"method_type": method_type},
    )
    assert setup.status_code == 200, setup.text
    data = setup.json()["data"]
    await cards.stripe.control(
        f"setup_intents/{data['setup_ref']}/confirm", {"payment_method": test_method}
    )
    confirmed = await http.post(
        f"{BILLING}/payment-providers/stripe/confirm",
        headers=tenant.owner,
        json={"confirmation_data": {"setup_intent_id": data["setup_ref"]}},
    )
    assert confirmed.status_code == 200, confirmed.text
    return confirmed.json()["data"]


async def save_mollie_mandate(
    http: httpx.AsyncClient,
    cards: CardsStack,
    tenant: Tenant,
    *,
    method_type: str = "card",
    paid_with: str | None = None,
) -> Any:
    """First payment, the payer paying it on Mollie's page, then our confirmation."""
    setup = await http.post(
        f"{BILLING}/payment-providers/mollie/setup",
        headers=tenant.owner,
        json={"method_type": method_type, "return_url": "https://app.example/billing/return"},
    )
    assert setup.status_code == 200, setup.text
    data = setup.json()["data"]
    query = {"outcome": "paid", **({"method": paid_with} if paid_with else {})}
    page = await cards.mollie.visit_checkout(data["redirect_url"], **query)
    assert page.status_code == 303
    confirmed = await http.post(
        f"{BILLING}/payment-providers/mollie/confirm",
        headers=tenant.owner,
        json={"confirmation_data": {"setup_id": data["id"]}},
    )
    assert confirmed.status_code == 200, confirmed.text
    return confirmed.json()["data"]
