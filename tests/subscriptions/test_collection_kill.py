"""A billing cycle killed between issuing an invoice and charging it resumes without a second
charge: ``billing cycle`` runs as its own process against the Stripe fake (over real HTTP,
through a proxy that holds the charge request), is killed, and runs again.

No job worker runs here, so nothing but the two processes can collect the invoice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from billing.config import Settings
from billing.core.db import Database
from billing.main import create_app
from billing.providers.registry import ProviderSettings
from billing.providers.stripe import StripeConfig
from billing_fakes.server import FakeServer
from billing_fakes.stripe import create_stripe_app, stripe_state
from tests.fixtures.auth import Tokens
from tests.payments.cards.cards_support import StripeFake
from tests.providers.stripe.stripe_support import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET
from tests.subscriptions.live_support import ADMIN, D0, Live, Stack, intents_for, noon

pytestmark = [pytest.mark.usefixtures("clock_back"), pytest.mark.slow]

BILLING_CLI = Path(sys.executable).with_name("billing")


@pytest.fixture(scope="module")
def kill_stack(subs_database_url: str) -> Iterator[Stack]:
    stripe_app = create_stripe_app(secret_key=SECRET_KEY)
    with FakeServer(stripe_app, name="stripe") as stripe_server:
        yield Stack(
            "http://kill", StripeFake(stripe_server, stripe_state(stripe_app)), subs_database_url
        )


@pytest.fixture(scope="module")
async def kill_app(kill_stack: Stack, subs_settings: Settings, subs_database: Database) -> FastAPI:
    providers = ProviderSettings(
        stripe=StripeConfig(
            api_base=kill_stack.stripe.server.base_url,
            secret_key=SecretStr(SECRET_KEY),
            publishable_key=PUBLISHABLE_KEY,
            webhook_secrets=(SecretStr(WEBHOOK_SECRET),),
        )
    )
    return create_app(subs_settings, subs_database, providers)


@pytest.fixture
async def live(kill_app: FastAPI, kill_stack: Stack, tokens: Tokens) -> AsyncIterator[Live]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=kill_app), base_url="http://kill", timeout=30
    ) as client:
        yield Live(client, tokens, kill_stack)


class Stall:
    """A proxy in front of the Stripe fake that holds the first PaymentIntent request:
    ``forward`` sends it on first (Stripe charges, we never hear back) or not (we never asked)."""

    def __init__(self, upstream: str, *, forward: bool) -> None:
        self.upstream = upstream
        self.forward = forward
        self.held = threading.Event()

    def app(self) -> Starlette:
        async def proxy(request: Request) -> Response:
            body = await request.body()
            headers = {
                k: v
                for k, v in request.headers.items()
                if k.lower() not in ("host", "content-length")
            }
            holding = request.url.path == "/v1/payment_intents" and request.method == "POST"
            if holding and not self.held.is_set():
                if self.forward:
                    async with httpx.AsyncClient() as client:
                        await client.request(
                            request.method,
                            self.upstream + request.url.path,
                            content=body,
                            headers=headers,
                        )
                self.held.set()
                await asyncio.sleep(3600)
            async with httpx.AsyncClient() as client:
                answer = await client.request(
                    request.method,
                    self.upstream + request.url.path,
                    params=request.query_params,
                    content=body,
                    headers=headers,
                )
            return Response(answer.content, answer.status_code, media_type="application/json")

        return Starlette(routes=[Route("/{path:path}", proxy, methods=["GET", "POST", "DELETE"])])


async def _cycle_process(stack: Stack, stripe_base: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        str(BILLING_CLI),
        "cycle",
        env={
            **os.environ,
            "DATABASE_URL": stack.database_url,
            "BILLING_ENABLE_TEST_ROUTES": "true",
            "BILLING_STRIPE_API_BASE": stripe_base,
            "BILLING_STRIPE_SECRET_KEY": SECRET_KEY,
            "BILLING_STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "BILLING_LOG_LEVEL": "WARNING",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.parametrize(
    "charged_before_kill", [True, False], ids=["after-charge", "before-charge"]
)
async def test_a_cycle_killed_after_issuing_resumes_without_a_second_charge(
    live: Live, charged_before_kill: bool
) -> None:
    await live.settings()
    # No worker may collect in between: the clock moves without queuing a cycle run.
    await live.call("POST", "/api/v1/test/clock", {"now": noon(D0).isoformat(), "run_cycle": False})
    tenant, _ = await live.subscriber("pm_card_visa")
    price = await live.price(trial_days=3)
    sub = await live.call(
        "POST",
        f"{ADMIN}/subscriptions",
        {"tenant_id": tenant.id, "items": [{"price_id": price["id"]}]},
        status=201,
    )
    await live.call(
        "POST",
        "/api/v1/test/clock",
        {"now": noon(date(2027, 5, 13)).isoformat(), "run_cycle": False},
    )
    stall = Stall(live.stack.stripe.server.base_url, forward=charged_before_kill)
    with FakeServer(stall.app(), name="stall") as proxy:
        process = await _cycle_process(live.stack, proxy.base_url)
        held = await asyncio.to_thread(stall.held.wait, 20)
        if not held:
            if process.returncode is None:
                process.kill()
            out, err = await process.communicate()
            err += out
            raise AssertionError(f"the cycle never asked Stripe to charge: {err.decode()}")
        process.send_signal(signal.SIGKILL)
        await process.wait()

    (record,) = await live.call("GET", f"{ADMIN}/subscriptions/{sub['id']}/invoices")
    assert (record["collection_state"], record["attempt_count"]) == (
        "scheduled",
        0,
    )  # issued, not charged
    assert len(intents_for(live.stack, record["invoice_id"])) == (1 if charged_before_kill else 0)

    again = await _cycle_process(live.stack, live.stack.stripe.server.base_url)
    out, err = await asyncio.wait_for(again.communicate(), timeout=120)
    assert again.returncode == 0, err.decode()

    (record,) = await live.call("GET", f"{ADMIN}/subscriptions/{sub['id']}/invoices")
    assert (record["collection_state"], record["attempt_count"], record["balance"]) == (
        "paid",
        1,
        "0.00",
    )
    (intent,) = intents_for(live.stack, record["invoice_id"])  # one charge at Stripe
    assert intent["status"] == "succeeded"
    payments = await live.call("GET", f"{ADMIN}/invoices/{record['invoice_id']}/payments")
    assert len(payments) == 1
    renewals = await live.stack.fetch(
        "SELECT count(*) AS n FROM subscription_invoices WHERE subscription_id = $1::uuid",
        sub["id"],
    )
    assert int(renewals[0]["n"]) == 1
