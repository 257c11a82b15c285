"""Usage in billing: renewal invoices bill the period's usage in arrears, late events land in
the next invoice, and the upcoming invoice and GET /billing/usage show usage so far."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.subscriptions.support import ADMIN, Billing
from tests.usage.support import Metering, event, move_clock

pytestmark = pytest.mark.usefixtures("clock_back")


@pytest.fixture
def metering(billing: Billing) -> Metering:
    return Metering(billing)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def usage_items(invoice: Any) -> list[Any]:
    return [i for i in invoice["items"] if (i["variant_info"] or {}).get("charge") == "usage"]


async def test_renewals_bill_usage_in_arrears_and_late_events_next(
    metering: Metering, billing: Billing
) -> None:
    await billing.move_to(date(2027, 3, 1))
    tenant = await billing.tenant()
    calls = await metering.metric("count")
    storage = await metering.metric("sum", property="gb")
    base = await billing.price("20.00", billing_scheme="flat")
    per_call = await metering.metered_price(calls, unit_amount="0.10")
    tiered = await metering.metered_price(
        storage,
        unit_amount=None,
        usage_model="graduated",
        tiers=[
            {"up_to": "10", "unit_amount": "0"},
            {"up_to": None, "unit_amount": "0.5", "flat_amount": "2.00"},
        ],
    )
    sub = await billing.subscribe(tenant["id"], base, per_call, tiered)
    assert sub["billing_timing"] == "in_advance"
    key = await metering.key(tenant["id"])

    await billing.move_to(date(2027, 3, 20))
    march = [at(date(2027, 3, d)) for d in (2, 9, 15)]
    await metering.send(
        key,
        [
            event(calls["code"], "c1", march[0]),
            event(calls["code"], "c2", march[1]),
            event(calls["code"], "c2", march[1]),  # a repeat: counted once
            event(calls["code"], "c3", march[2]),
            event(storage["code"], "s1", march[0], gb=8),
            event(storage["code"], "s2", march[2], gb="4.5"),
        ],
    )
    usage = await metering.usage(tenant["id"])
    (current,) = usage["subscriptions"]
    quantities = {m["code"]: (m["quantity"], m["amount"]) for m in current["metrics"]}
    assert quantities == {calls["code"]: ("3", "0.30"), storage["code"]: ("12.5", "3.25")}

    upcoming = await billing.upcoming(tenant["id"])
    assert [line["kind"] for line in upcoming["lines"]].count("usage") == 4

    await billing.move_to(date(2027, 4, 1))
    await metering.send(key, [event(calls["code"], "late", at(date(2027, 3, 31), 23))])
    await billing.run_cycle()
    april = (await billing.invoices(sub["id"]))[-1]
    lines = usage_items(april)
    assert [(i["quantity"], i["unit_price"], i["line_total"]) for i in lines] == [
        ("3", "0.10", "0.30"),
        ("10", "0.00", "0.00"),
        ("2.5", "0.50", "1.25"),
        ("1", "2.00", "2.00"),
    ]
    assert april["subtotal"] == "23.55"  # 20.00 for April in advance + March's usage

    after = await metering.usage(tenant["id"])
    (current,) = after["subscriptions"]
    assert {m["code"]: m["quantity"] for m in current["metrics"]} == {
        calls["code"]: "1",  # the late event: next invoice
        storage["code"]: "0",
    }


async def test_events_within_the_grace_period_land_in_their_period(
    metering: Metering, billing: Billing
) -> None:
    await billing.move_to(date(2027, 6, 1))
    tenant = await billing.tenant()
    calls = await metering.metric("count")
    per_call = await metering.metered_price(calls, unit_amount="1.00")
    sub = await billing.subscribe(tenant["id"], per_call)
    assert sub["billing_timing"] == "in_arrears"
    key = await metering.key(tenant["id"])
    await billing.move_to(date(2027, 6, 30))
    await metering.send(key, [event(calls["code"], "june-1", at(date(2027, 6, 30), 11))])

    await move_clock(billing, at(date(2027, 7, 1), 0, 30))
    # 20 minutes after its timestamp, within the 60 minutes of grace: June's.
    await metering.send(key, [event(calls["code"], "june-2", at(date(2027, 6, 30), 23, 59))])
    await billing.run_cycle()
    assert await billing.records(sub["id"]) == []  # the renewal waits for the grace period

    await move_clock(billing, at(date(2027, 7, 1), 1, 5))
    await metering.send(key, [event(calls["code"], "too-late", at(date(2027, 6, 30), 22))])
    await billing.run_cycle()
    (june,) = await billing.invoices(sub["id"])
    assert [(i["quantity"], i["line_total"]) for i in usage_items(june)] == [("2", "2.00")]
    (current,) = (await metering.usage(tenant["id"]))["subscriptions"]
    assert current["metrics"][0]["quantity"] == "1"  # too-late: on July's invoice


async def test_a_metric_is_billed_by_one_subscription(metering: Metering, billing: Billing) -> None:
    tenant = await billing.tenant()
    calls = await metering.metric("count")
    first = await metering.metered_price(calls)
    second = await metering.metered_price(calls, unit_amount="0.20")
    await billing.subscribe(tenant["id"], first)
    response = await billing.http.post(
        f"{ADMIN}/subscriptions",
        json={
            "tenant_id": tenant["id"],
            "items": [{"price_id": second["id"], "quantity": "1"}],
            "collection_method": "send_invoice",
        },
        headers=billing.admin,
    )
    assert response.status_code == 422, response.text
    assert "already bills" in response.json()["error"]["message"]


async def test_usage_of_other_tenants_is_invisible(metering: Metering, billing: Billing) -> None:
    first, second = await billing.tenant(), await billing.tenant()
    calls = await metering.metric("count")
    price = await metering.metered_price(calls)
    await billing.subscribe(first["id"], price)
    await billing.subscribe(second["id"], price)
    await metering.send(await metering.key(first["id"]), [event(calls["code"]) for _ in range(4)])
    await metering.send(await metering.key(second["id"]), [event(calls["code"])])
    (mine,) = (await metering.usage(first["id"]))["subscriptions"]
    (theirs,) = (await metering.usage(second["id"]))["subscriptions"]
    assert mine["metrics"][0]["quantity"] == "4"
    assert theirs["metrics"][0]["quantity"] == "1"
    response = await billing.http.get(
        f"{ADMIN}/tenants/{second['id']}/usage", headers=billing.admin
    )
    assert response.json()["data"]["subscriptions"][0]["metrics"][0]["quantity"] == "1"
    hidden = await billing.http.get(
        f"{ADMIN}/tenants/{second['id']}/usage",
        headers=billing.tokens.owner(uuid.UUID(first["id"])),
    )
    assert hidden.status_code == 403


async def test_metered_prices_are_checked(metering: Metering, billing: Billing) -> None:
    calls = await metering.metric("count")
    product = await billing.product()

    async def refused(**fields: Any) -> str:
        body = {"product_id": product["id"], "interval": "month", **fields}
        response = await billing.http.post(f"{ADMIN}/prices", json=body, headers=billing.admin)
        assert response.status_code in (400, 422), response.text
        return str(response.json()["error"]["message"])

    metric = {"billable_metric_id": calls["id"]}
    assert "package_size" in await refused(**metric, unit_amount="1", usage_model="package")
    assert "tiers" in await refused(**metric, usage_model="volume")
    assert "in_arrears" in await refused(**metric, unit_amount="1", billing_timing="in_advance")
    assert "metered" in await refused(unit_amount="1", usage_model="graduated")
    assert "up_to" in await refused(
        **metric, usage_model="volume", tiers=[{"up_to": "5", "unit_amount": "1"}]
    )
    assert "increase" in await refused(
        **metric,
        usage_model="volume",
        tiers=[{"up_to": "5"}, {"up_to": "5"}, {"up_to": None}],
    )
    missing = await refused(billable_metric_id=str(uuid.uuid4()), unit_amount="1")
    assert "does not exist" in missing
    price = await metering.metered_price(calls, usage_model="package", package_size="100")
    assert price["metered"] is True
    assert price["billing_timing"] == "in_arrears"
    assert Decimal(price["package_size"]) == 100


async def test_cancelling_now_bills_the_usage_so_far(metering: Metering, billing: Billing) -> None:
    await billing.move_to(date(2027, 9, 1))
    tenant = await billing.tenant()
    calls = await metering.metric("count")
    sub = await billing.subscribe(
        tenant["id"], await metering.metered_price(calls, unit_amount="2")
    )
    key = await metering.key(tenant["id"])
    await billing.move_to(date(2027, 9, 10))
    await metering.send(key, [event(calls["code"], when=at(date(2027, 9, d))) for d in (2, 5, 9)])
    # Sent days late: they count at their arrival, and the final invoice bills up to now.
    await billing.act(sub["id"], "cancel")
    (final,) = await billing.invoices(sub["id"])
    assert [(i["quantity"], i["line_total"]) for i in usage_items(final)] == [("3", "6.00")]
    assert (await metering.usage(tenant["id"]))["subscriptions"] == []
