"""Usage beyond what an invoice line holds: each event is bounded, a period's sum of many is
not. Every route that prices usage answers 422 ``usage_too_large`` naming the metric (it
answered 500), and nothing is written."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from billing.subscriptions.cycle import run_cycle
from tests.subscriptions.support import ADMIN, BILLING, Billing
from tests.usage.support import Metering, event

pytestmark = pytest.mark.usefixtures("clock_back")

LARGEST_EVENT = "99999999999999.999999"


@pytest.fixture
def metering(billing: Billing) -> Metering:
    return Metering(billing)


def refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "usage_too_large", error
    assert code in error["message"]


async def oversized_subscription(
    metering: Metering, billing: Billing, events: list[str], unit_amount: str
) -> tuple[Any, Any, Any]:
    tenant = await billing.tenant()
    metric = await metering.metric("sum", property="bytes")
    price = await metering.metered_price(metric, unit_amount=unit_amount)
    subscription = await billing.subscribe(tenant["id"], price)
    key = await metering.key(tenant["id"])
    await metering.send(key, [event(metric["code"], bytes=value) for value in events])
    return tenant, metric, subscription


async def test_a_sum_beyond_a_line_quantity_is_refused_on_every_read(
    metering: Metering, billing: Billing
) -> None:
    tenant, metric, _ = await oversized_subscription(
        metering, billing, [LARGEST_EVENT] * 3, unit_amount="0.000001"
    )
    owner = billing.tokens.owner(uuid.UUID(tenant["id"]))
    for path, headers in (
        (f"{BILLING}/usage", owner),
        (f"{BILLING}/upcoming", owner),
        (f"{BILLING}/overview", owner),
        (f"{ADMIN}/tenants/{tenant['id']}/usage", billing.admin),
        (f"{ADMIN}/tenants/{tenant['id']}/upcoming", billing.admin),
    ):
        refused(await billing.http.get(path, headers=headers), metric["code"])


async def test_an_amount_beyond_the_largest_line_is_refused(
    metering: Metering, billing: Billing
) -> None:
    tenant, metric, _ = await oversized_subscription(
        metering, billing, ["10000000000000"], unit_amount="1"
    )
    response = await billing.http.get(
        f"{BILLING}/usage", headers=billing.tokens.owner(uuid.UUID(tenant["id"]))
    )
    refused(response, metric["code"])
    assert "999999999999.99" in response.json()["error"]["message"]


async def test_cancelling_now_is_refused_and_changes_nothing(
    metering: Metering, billing: Billing
) -> None:
    _, metric, subscription = await oversized_subscription(
        metering, billing, [LARGEST_EVENT] * 2, unit_amount="0.01"
    )
    response = await billing.http.post(
        f"{ADMIN}/subscriptions/{subscription['id']}/cancel",
        json={"at_period_end": False},
        headers=billing.admin,
    )
    refused(response, metric["code"])
    after = await billing.subscription(subscription["id"])
    assert after["status"] == subscription["status"]
    assert await billing.records(subscription["id"]) == []


async def test_the_cycle_reports_the_renewal_it_cannot_bill(
    metering: Metering, billing: Billing
) -> None:
    await billing.move_to(date(2027, 6, 1))
    _, metric, subscription = await oversized_subscription(
        metering, billing, [LARGEST_EVENT] * 2, unit_amount="0.01"
    )
    await billing.move_to(date(2027, 7, 2))
    report = await run_cycle(billing.cycle)
    [error] = [e for e in report.errors if subscription["id"] in e]
    assert metric["code"] in error
    assert "cannot be invoiced" in error
    after = await billing.subscription(subscription["id"])
    assert after["current_period_start"] == subscription["current_period_start"]
    assert await billing.records(subscription["id"]) == []


async def test_usage_up_to_the_bound_is_billed(metering: Metering, billing: Billing) -> None:
    tenant, metric, _ = await oversized_subscription(
        metering, billing, ["49999999999999.999999", "50000000000000"], unit_amount="0.000001"
    )
    usage = await metering.usage(tenant["id"])
    [line] = usage["subscriptions"][0]["metrics"]
    assert line["code"] == metric["code"]
    assert line["quantity"] == LARGEST_EVENT
    assert line["amount"] == "100000000.00"
