"""``subscription.*`` events to a real HTTP receiver: one per state change of a subscription
(created, renewed, past_due, active again, paused, resumed, cancelled), in order, each with
the subscription as the API shows it and signed for the endpoint."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from billing.core import clock
from billing.core.clock import today_in
from billing.models.states import EventType
from billing.worker.app import WorkerContext
from tests.delivery.conftest import Receiver
from tests.delivery.test_reminders import move_to
from tests.delivery.test_webhooks import endpoint
from tests.fixtures.auth import Tokens
from tests.fixtures.waiting import eventually
from tests.subscriptions.support import Billing

SUBSCRIPTION_EVENTS = [kind.value for kind in EventType if kind.value.startswith("subscription.")]


@pytest.fixture
def clock_back() -> Iterator[None]:
    yield
    clock.set_offset(timedelta(0))


@pytest.fixture
def billing(client: httpx.AsyncClient, tokens: Tokens, worker: WorkerContext) -> Billing:
    return Billing(client, tokens, worker.cycle())


def bodies(recorder: Receiver, subscription_id: str) -> list[dict[str, Any]]:
    found = [json.loads(request.body) for request in recorder.requests]
    return [body for body in found if body["data"].get("id") == subscription_id]


@pytest.mark.usefixtures("clock_back")
async def test_every_state_change_is_one_event_in_order(
    client: httpx.AsyncClient,
    tokens: Tokens,
    billing: Billing,
    receiver: tuple[Receiver, str],
) -> None:
    recorder, url = receiver
    created_endpoint = await endpoint(client, tokens, url, *SUBSCRIPTION_EVENTS)
    tenant = await billing.tenant()
    price = await billing.price("30.00")
    subscription = await billing.subscribe(tenant["id"], price, days_until_due=7)
    sid = subscription["id"]

    # A month and a week on: the period renews, and the first invoice is a day past due.
    later = today_in("UTC") + timedelta(days=40)
    move_to(later)  # the service clock of this process (app and worker)

    async def cycle_until(status: str) -> None:
        # The package's job worker runs the periodic cycle too: a step it holds when ours
        # comes is skipped by ours (BUSY) and taken by it a moment later.
        async def reached() -> bool:
            await billing.run_cycle(as_of=later)
            return bool((await billing.subscription(sid))["status"] == status)

        await eventually(reached, within=30, interval=0.2)

    await cycle_until("past_due")
    for record in await billing.records(sid):
        invoice = await billing.invoice(record["invoice_id"])
        if invoice["balance"] != "0.00":
            await billing.post(
                f"/api/v1/admin/invoices/{invoice['id']}/payments",
                {"amount": invoice["balance"], "method": "cash"},
                201,
            )
    await cycle_until("active")
    await billing.act(sid, "pause")
    await billing.act(sid, "resume")
    await billing.act(sid, "cancel", at_period_end=False)
    # Nothing changes state here: no event.
    refused = await client.post(
        f"/api/v1/admin/subscriptions/{sid}/resume", json={}, headers=tokens.admin()
    )
    assert refused.status_code == 409

    expected = [
        "subscription.created",
        "subscription.renewed",
        "subscription.past_due",
        "subscription.active",
        "subscription.paused",
        "subscription.resumed",
        "subscription.cancelled",
    ]

    async def all_arrived() -> list[dict[str, Any]] | None:
        found = bodies(recorder, sid)
        return found if len({body["id"] for body in found}) >= len(expected) else None

    await eventually(all_arrived, within=30)
    received = {body["id"]: body for body in bodies(recorder, sid)}  # retries share an id
    ordered = sorted(received.values(), key=lambda body: body["sequence"])
    assert [body["type"] for body in ordered] == expected
    assert [body["sequence"] for body in ordered] == list(range(1, len(expected) + 1))
    assert [body["data"]["status"] for body in ordered] == [
        "active",
        "active",  # as it was when it renewed, before collection found the invoice late
        "past_due",
        "active",
        "paused",
        "active",
        "cancelled",
    ]
    for body in ordered:
        assert body["object"] == "subscription"
        assert body["tenant_id"] == tenant["id"]
        assert body["data"]["items"][0]["price_id"] == price["id"]
    renewed = ordered[1]["data"]
    assert renewed["current_period_start"] > subscription["current_period_start"]
    final = await billing.subscription(sid)
    assert ordered[-1]["data"]["ended_at"] == final["ended_at"]
    hook = Webhook(created_endpoint["secret"])
    for request in recorder.requests:
        if json.loads(request.body)["data"].get("id") == sid:
            assert hook.verify(request.body, request.headers)["data"]["id"] == sid


async def test_an_endpoint_hears_only_the_subscription_events_it_chose(
    client: httpx.AsyncClient,
    tokens: Tokens,
    billing: Billing,
    receiver: tuple[Receiver, str],
) -> None:
    recorder, url = receiver
    await endpoint(client, tokens, url, "subscription.cancelled")
    tenant = await billing.tenant()
    subscription = await billing.subscribe(tenant["id"], await billing.price("12.00"))
    sid = subscription["id"]
    await billing.act(sid, "cancel", at_period_end=False)

    async def arrived() -> list[dict[str, Any]] | None:
        return bodies(recorder, sid) or None

    [body] = await eventually(arrived, within=20)
    assert body["type"] == "subscription.cancelled"
    assert body["sequence"] == 1
    other = await billing.tenant()
    untouched = await billing.subscribe(other["id"], await billing.price("12.00"))
    await billing.act(untouched["id"], "pause")
    assert bodies(recorder, untouched["id"]) == []
    assert uuid.UUID(body["id"])
