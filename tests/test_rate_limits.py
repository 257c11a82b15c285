"""Rate limits with their real defaults (seed 003: 30/min per address on public pages and
checkout, 300/min per principal), the stricter STK push and COD limits, the 429 envelope and
the IETF RateLimit fields, trusted proxies, and one budget shared through Redis."""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from billing.config import Settings
from billing.core.db import Database
from billing.main import create_app
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.fixtures.servers import server_processes

pytestmark = pytest.mark.slow

ADMIN = "/api/v1/admin"
REDIS = ("127.0.0.1", 6379)
RATE_FIELDS = (
    "rate_limit_public",
    "rate_limit_authenticated",
    "rate_limit_stk_phone",
    "rate_limit_stk_invoice",
    "rate_limit_cod_verify",
)


def default_limits(settings: Settings, **changes: Any) -> Settings:
    """The test settings with every rate limit back at its shipped default."""
    defaults = {name: Settings.model_fields[name].default for name in RATE_FIELDS}
    return settings.model_copy(update={**defaults, **changes})


async def in_one_window(seconds: float, *, window: int = 60) -> None:
    """Start a run of requests that takes up to ``seconds`` inside one counting window.

    The sliding window counter weighs the last window's hits by how much of it still overlaps
    the current one; windows start at whole minutes, so a run that crosses one is allowed a
    little more than the limit, and a test counting to the limit would fail there.
    """
    left = window - time.time() % window
    if left < seconds:
        await asyncio.sleep(left + 0.05)


@asynccontextmanager
async def client_from(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://limits") as client:
        yield client


@pytest.fixture
def limited(settings: Settings, database: Database) -> FastAPI:
    """A fresh app (fresh counters) with the shipped limits."""
    return create_app(default_limits(settings), database)


@pytest.fixture(autouse=True)
async def checkout_settings(factory: Factory) -> AsyncIterator[None]:
    before = await factory.get_settings()
    await factory.put_settings(
        enable_mpesa=True,
        enable_cash_on_delivery=True,
        enabled_currencies=["EUR", "KES"],
        default_tax_rate="16.00",
    )
    yield
    await factory.put_settings(**before)


@pytest.fixture
async def invoice(factory: Factory) -> Any:
    tenant = await factory.create_tenant(default_currency="KES", country_code="KE")
    return await factory.create_invoice(tenant["id"], subtotal="100", status="issued")


def fields(response: httpx.Response) -> dict[str, str]:
    """The RateLimit-Policy and RateLimit items, by policy name."""
    parsed: dict[str, str] = {}
    for header in ("ratelimit-policy", "ratelimit"):
        for item in response.headers.get(header, "").split(", "):
            if item:
                name, _, params = item.partition(";")
                parsed[f"{header}:{name.strip(chr(34))}"] = params
    return parsed


class TestPublicPages:
    async def test_a_burst_from_one_address_is_refused_after_30(
        self, limited: FastAPI, invoice: Any
    ) -> None:
        page = f"/api/v1/public/invoices/{invoice['public_id']}"
        await in_one_window(3)
        async with client_from(limited, "203.0.113.7") as client:
            responses = [await client.get(page) for _ in range(40)]
        statuses = [response.status_code for response in responses]
        assert statuses == [200] * 30 + [429] * 10
        first, last_allowed, refused = responses[0], responses[29], responses[30]
        assert fields(first)["ratelimit-policy:public"] == "q=30;w=60"
        assert fields(first)["ratelimit:public"].startswith("r=29;t=")
        assert fields(last_allowed)["ratelimit:public"].startswith("r=0;t=")
        error = refused.json()["error"]
        assert error["code"] == "rate_limited"
        assert error["details"][0]["policy"] == "public"
        assert refused.json()["meta"]["request_id"]
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 60
        assert fields(refused)["ratelimit:public"] == f"r=0;t={retry_after}"

        async with client_from(limited, "203.0.113.8") as other:
            unaffected = [(await other.get(page)).status_code for _ in range(40)]
        assert unaffected == [200] * 30 + [429] * 10

    async def test_checkout_lookups_share_the_budget(self, limited: FastAPI, invoice: Any) -> None:
        number = invoice["invoice_number"]
        paths = [
            f"/api/v1/invoices/{number}",
            f"/api/v1/invoices/{number}/pay",
            "/api/v1/payment-methods",
            "/api/v1/payments/TXN-UNKNOWN/status",
            f"/api/v1/public/invoices/{invoice['public_id']}/pdf",
        ]
        await in_one_window(3)
        async with client_from(limited, "203.0.113.9") as client:
            statuses = [(await client.get(paths[i % len(paths)])).status_code for i in range(31)]
        assert 429 not in statuses[:30]
        assert statuses[30] == 429

    async def test_provider_callbacks_are_not_limited(
        self, limited: FastAPI, settings: Settings
    ) -> None:
        token = settings.callback_token("mpesa")
        async with client_from(limited, "203.0.113.10") as client:
            statuses = {
                (await client.post(f"/api/v1/callbacks/mpesa?token={token}", json={})).status_code
                for _ in range(35)
            }
        assert 429 not in statuses

    async def test_the_address_behind_a_trusted_proxy_is_counted(
        self, settings: Settings, database: Database, invoice: Any
    ) -> None:
        app = create_app(default_limits(settings, trusted_proxies="10.0.0.0/8"), database)
        page = f"/api/v1/public/invoices/{invoice['public_id']}"
        await in_one_window(4)
        async with client_from(app, "10.1.2.3") as proxy:
            for _ in range(30):
                assert (
                    await proxy.get(page, headers={"X-Forwarded-For": "198.51.100.1"})
                ).is_success
            refused = await proxy.get(page, headers={"X-Forwarded-For": "198.51.100.1"})
            assert refused.status_code == 429
            # Another client behind the same proxy has its own budget...
            other = await proxy.get(page, headers={"X-Forwarded-For": "198.51.100.2"})
            assert other.status_code == 200
        # ...and a client that is not a trusted proxy cannot pick its address.
        async with client_from(app, "192.0.2.50") as direct:
            for _ in range(30):
                spoofed = await direct.get(page, headers={"X-Forwarded-For": f"192.0.2.{_}"})
                assert spoofed.status_code == 200
            assert (
                await direct.get(page, headers={"X-Forwarded-For": "192.0.2.99"})
            ).status_code == 429


class TestPrincipals:
    async def test_300_a_minute_per_principal(self, limited: FastAPI, tokens: Tokens) -> None:
        mine, theirs = tokens.admin("limits-a"), tokens.admin("limits-b")
        await in_one_window(10)
        async with client_from(limited, "203.0.113.20") as client:
            statuses = [
                (await client.get(f"{ADMIN}/settings", headers=mine)).status_code
                for _ in range(301)
            ]
            assert statuses == [200] * 300 + [429]
            other = await client.get(f"{ADMIN}/settings", headers=theirs)
        assert other.status_code == 200
        assert fields(other)["ratelimit-policy:principal"] == "q=300;w=60"
        assert fields(other)["ratelimit:principal"].startswith("r=299;")

    async def test_limits_are_documented(self, client: httpx.AsyncClient) -> None:
        spec = (await client.get("/openapi.json")).json()
        assert "429" in spec["paths"]["/api/v1/admin/invoices"]["get"]["responses"]
        assert "429" in spec["paths"]["/api/v1/public/invoices/{public_id}"]["get"]["responses"]
        assert "429" not in spec["paths"]["/api/v1/callbacks/mpesa"]["post"]["responses"]


class TestStrictLimits:
    async def test_stk_pushes_per_phone_and_per_invoice(
        self, settings: Settings, database: Database, invoice: Any
    ) -> None:
        app = create_app(
            default_limits(
                settings, rate_limit_stk_phone="3/minute", rate_limit_stk_invoice="5/minute"
            ),
            database,
        )
        body = {"invoice_number": invoice["invoice_number"]}

        async def push(client: httpx.AsyncClient, phone: str) -> httpx.Response:
            return await client.post(
                "/api/v1/payments/mpesa/initiate", json={**body, "phone_number": phone}
            )

        await in_one_window(4)
        async with client_from(app, "203.0.113.30") as client:
            first = [await push(client, "0712345678") for _ in range(3)]
            assert all(response.status_code != 429 for response in first)
            per_phone = await push(client, "+254712345678")  # the same number, written apart
            assert per_phone.status_code == 429
            assert per_phone.json()["error"]["details"][0]["policy"] == "stk-phone"
            assert [(await push(client, "0722000111")).status_code != 429 for _ in range(2)] == [
                True,
                True,
            ]
            per_invoice = await push(client, "0733000222")
            assert per_invoice.status_code == 429
            assert per_invoice.json()["error"]["details"][0]["policy"] == "stk-invoice"
            assert "retry-after" in per_invoice.headers

    async def test_cod_verification_per_payment(
        self, limited: FastAPI, tokens: Tokens, invoice: Any
    ) -> None:
        await in_one_window(3)
        async with client_from(limited, "203.0.113.31") as client:
            created = await client.post(
                "/api/v1/payments/cod/create", json={"invoice_number": invoice["invoice_number"]}
            )
            assert created.status_code == 201, created.text
            cod_id = created.json()["data"]["id"]
            statuses = [
                (
                    await client.post(
                        f"{ADMIN}/payments/cod/{cod_id}/verify",
                        headers=tokens.admin("cod-limits"),
                        json={"verification_code": "0000000"},
                    )
                ).status_code
                for _ in range(6)
            ]
        assert 429 not in statuses[:5]
        assert statuses[5] == 429


class TestStore:
    async def test_an_unreachable_store_lets_requests_through(
        self, settings: Settings, database: Database, invoice: Any
    ) -> None:
        app = create_app(
            default_limits(settings, rate_limit_storage="redis://127.0.0.1:1/0"), database
        )
        async with client_from(app, "203.0.113.40") as client:
            responses = [
                await client.get(f"/api/v1/public/invoices/{invoice['public_id']}")
                for _ in range(35)
            ]
        assert {response.status_code for response in responses} == {200}
        assert "ratelimit" not in responses[0].headers

    def test_a_malformed_limit_fails_at_startup(self) -> None:
        with pytest.raises(ValueError, match="rate limit"):
            Settings(rate_limit_public="thirty per minute")
        with pytest.raises(ValueError, match="RATE_LIMIT_STORAGE"):
            Settings(rate_limit_storage="memcached://localhost")


def redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.skipif(
    not redis_answers(),
    reason="no Redis answers on 127.0.0.1:6379, so the budget shared by two server processes "
    "cannot be checked here",
)
async def test_two_processes_sharing_redis_enforce_one_budget(
    database_url: str, invoice: Any
) -> None:
    prefix = f"billing-test-{uuid.uuid4().hex}"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BILLING_ENVIRONMENT": "test",
        "BILLING_LOG_LEVEL": "WARNING",
        "BILLING_RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379/0",
        "BILLING_RATE_LIMIT_KEY_PREFIX": prefix,
        "BILLING_RATE_LIMIT_PUBLIC": "30/minute",
    }
    page = f"/api/v1/public/invoices/{invoice['public_id']}"
    with server_processes(environment, 2) as urls:
        await in_one_window(5)
        async with httpx.AsyncClient(timeout=10) as client:
            statuses = [(await client.get(f"{urls[i % 2]}{page}")).status_code for i in range(40)]
    try:
        assert statuses.count(200) == 30, statuses
        assert statuses[30:] == [429] * 10, statuses
    finally:
        import redis

        connection = redis.Redis(host=REDIS[0], port=REDIS[1])
        keys = list(connection.scan_iter(f"{prefix}*"))
        if keys:
            connection.delete(*keys)
        connection.close()
