"""Automatic collection over real HTTP with the Stripe fake: charges, dunning retries on
schedule and the final outcome.

The app runs under uvicorn with its embedded job worker; moving the test clock queues a
billing cycle run, which the worker performs.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date

import httpx
import pytest
from pydantic import SecretStr

from billing.config import Settings
from billing.core.db import Database
from billing.main import create_app
from billing.providers.registry import ProviderSettings
from billing.providers.stripe import StripeConfig
from billing.subscriptions.collection import collection_attempt_id
from billing_fakes.server import FakeServer
from billing_fakes.stripe import create_stripe_app, stripe_state
from tests.fixtures.auth import Tokens
from tests.payments.cards.cards_support import StripeFake, free_port
from tests.providers.stripe.stripe_support import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET
from tests.subscriptions.live_support import (
    ADMIN,
    D0,
    Live,
    Stack,
    intents_for,
    method_ref,
    noon,
    switch_card,
)

pytestmark = pytest.mark.usefixtures("clock_back")


@pytest.fixture(scope="module")
def stack(subs_database_url: str, subs_settings: Settings) -> Iterator[Stack]:
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    stripe_app = create_stripe_app(secret_key=SECRET_KEY)
    with FakeServer(stripe_app, name="stripe") as stripe_server:
        providers = ProviderSettings(
            stripe=StripeConfig(
                api_base=stripe_server.base_url,
                secret_key=SecretStr(SECRET_KEY),
                publishable_key=PUBLISHABLE_KEY,
                webhook_secrets=(SecretStr(WEBHOOK_SECRET),),
            )
        )
        database = Database.connect(subs_database_url, role=subs_settings.app_role, pool_size=5)
        live = subs_settings.model_copy(
            update={"public_base_url": app_url, "embedded_worker": True}
        )
        with FakeServer(
            create_app(live, database, providers), port=port, name="billing", lifespan="on"
        ):
            yield Stack(
                app_url, StripeFake(stripe_server, stripe_state(stripe_app)), subs_database_url
            )


@pytest.fixture
async def live_http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.app_url, timeout=30) as client:
        yield client


@pytest.fixture
async def live(live_http: httpx.AsyncClient, tokens: Tokens, stack: Stack) -> Live:
    return Live(live_http, tokens, stack)


class TestAutomaticCollection:
    async def test_a_good_card_pays_the_first_invoice(self, live: Live) -> None:
        await live.settings()
        await live.move_to(noon(D0))
        tenant, _ = await live.subscriber("pm_card_visa")
        price = await live.price()

        sub = await live.call(
            "POST",
            f"{ADMIN}/subscriptions",
            {"tenant_id": tenant.id, "items": [{"price_id": price["id"]}]},
            status=201,
        )
        await live.stack.jobs_idle()

        record = await live.record(sub["id"])
        assert (record["collection_state"], record["attempt_count"], record["balance"]) == (
            "paid",
            1,
            "0.00",
        )
        (intent,) = intents_for(live.stack, record["invoice_id"])
        assert intent["status"] == "succeeded"
        assert intent["amount"] == 2320  # 20.00 + 16 % VAT, in cents


class TestDunning:
    async def test_declined_then_paid_on_the_retry_schedule(self, live: Live) -> None:
        await live.settings(
            subscriptions={"dunning_retry_days": [1, 3, 5, 7], "dunning_final_action": "cancel"}
        )
        await live.move_to(noon(D0))
        tenant, method = await live.subscriber("pm_card_chargeDeclinedInsufficientFunds")
        price = await live.price()
        sub = await live.call(
            "POST",
            f"{ADMIN}/subscriptions",
            {"tenant_id": tenant.id, "items": [{"price_id": price["id"]}]},
            status=201,
        )
        await live.stack.jobs_idle()

        first = await live.record(sub["id"])
        assert (first["collection_state"], first["attempt_count"]) == ("scheduled", 1)
        assert first["last_failure_code"] == "card_declined"
        assert first["next_attempt_at"].startswith("2027-05-11")  # one day after the failure
        assert (await live.subscription(sub["id"]))["status"] == "past_due"

        await live.move_to(noon(D0, 23))  # not yet due
        assert (await live.record(sub["id"]))["attempt_count"] == 1

        switch_card(live.stack, await method_ref(live.stack, method["id"]), "pm_card_visa")
        await live.move_to(noon(date(2027, 5, 11), 13))

        record = await live.record(sub["id"])
        assert (record["collection_state"], record["attempt_count"], record["balance"]) == (
            "paid",
            2,
            "0.00",
        )
        assert (await live.subscription(sub["id"]))["status"] == "active"
        intents = intents_for(live.stack, record["invoice_id"])
        assert sorted(i["status"] for i in intents) == ["requires_payment_method", "succeeded"]
        keys = [
            r.headers.get("idempotency-key")
            for r in live.stack.stripe.requests("/v1/payment_intents")
            if r.params.get("metadata", {}).get("invoice_id") == record["invoice_id"]
        ]
        invoice_id = uuid.UUID(record["invoice_id"])
        assert keys == [
            f"{collection_attempt_id(invoice_id, 0)}:payment_intent",
            f"{collection_attempt_id(invoice_id, 1)}:payment_intent",
        ]
        payments = await live.call("GET", f"{ADMIN}/invoices/{record['invoice_id']}/payments")
        assert len(payments) == 1  # paid exactly once
        attempts = await live.call("GET", f"{ADMIN}/transactions/invoice/{record['invoice_id']}")
        assert sorted(a["status"] for a in attempts) == ["failed", "succeeded"]

    @pytest.mark.parametrize(
        ("action", "days", "status"),
        [
            ("cancel", [1, 3, 5, 7], "cancelled"),
            ("pause", [1, 2], "paused"),
            ("leave_unpaid", [2], "past_due"),
        ],
    )
    async def test_a_card_that_keeps_failing_ends_as_configured(
        self, live: Live, action: str, days: list[int], status: str
    ) -> None:
        await live.settings(
            subscriptions={"dunning_retry_days": days, "dunning_final_action": action}
        )
        await live.move_to(noon(D0))
        tenant, _ = await live.subscriber("pm_card_chargeDeclined")
        price = await live.price()
        sub = await live.call(
            "POST",
            f"{ADMIN}/subscriptions",
            {"tenant_id": tenant.id, "items": [{"price_id": price["id"]}]},
            status=201,
        )
        await live.stack.jobs_idle()

        for number, day in enumerate(days, start=1):
            before = await live.record(sub["id"])
            assert (before["collection_state"], before["attempt_count"]) == ("scheduled", number)
            assert (await live.subscription(sub["id"]))["status"] == "past_due"
            await live.move_to(noon(date(2027, 5, 10 + day), 13))

        record = await live.record(sub["id"])
        assert (record["collection_state"], record["attempt_count"]) == ("exhausted", len(days) + 1)
        assert record["balance"] == record["total_amount"] == "23.20"
        assert (await live.subscription(sub["id"]))["status"] == status
        intents = intents_for(live.stack, record["invoice_id"])
        assert len(intents) == len(days) + 1
        assert all(i["status"] == "requires_payment_method" for i in intents)
        await live.move_to(noon(date(2027, 6, 1)))  # no more attempts after the last
        assert len(intents_for(live.stack, record["invoice_id"])) == len(days) + 1
