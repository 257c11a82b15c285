"""Stopping a subscription billed in arrears on the day it began: no day was used, so no
fixed fee is due (it answered 500: the period had an item with neither a day nor a charge).
A metered subscription still bills the usage of that day on its final invoice."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.subscriptions.support import ADMIN, Billing
from tests.usage.support import Metering, event

pytestmark = pytest.mark.usefixtures("clock_back")


async def stop(billing: Billing, subscription: Any, action: str) -> Any:
    body = {"at_period_end": False} if action == "cancel" else {}
    response = await billing.http.post(
        f"{ADMIN}/subscriptions/{subscription['id']}/{action}", json=body, headers=billing.admin
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


@pytest.mark.parametrize(("action", "status"), [("cancel", "cancelled"), ("pause", "paused")])
async def test_a_fixed_fee_in_arrears_stopped_on_its_first_day_bills_nothing(
    billing: Billing, action: str, status: str
) -> None:
    await billing.move_to(date(2027, 5, 10))
    tenant = await billing.tenant()
    price = await billing.price("30.00", billing_timing="in_arrears")
    subscription = await billing.subscribe(tenant["id"], price)
    result = await stop(billing, subscription, action)
    assert result["subscription"]["status"] == status
    for record in await billing.records(subscription["id"]):
        invoice = await billing.invoice(record["invoice_id"])
        assert invoice["total_amount"] == "0.00", invoice


async def test_a_metered_subscription_cancelled_on_its_first_day_bills_that_day(
    billing: Billing,
) -> None:
    await billing.move_to(date(2027, 5, 10))
    metering = Metering(billing)
    tenant = await billing.tenant()
    calls = await metering.metric("count")
    price = await metering.metered_price(calls, unit_amount="0.50")
    subscription = await billing.subscribe(tenant["id"], price)
    key = await metering.key(tenant["id"])
    await metering.send(key, [event(calls["code"]) for _ in range(3)])
    result = await stop(billing, subscription, "cancel")
    assert result["subscription"]["status"] == "cancelled"
    invoice = await billing.invoice(result["invoice_id"])
    usage = [i for i in invoice["items"] if (i["variant_info"] or {}).get("charge") == "usage"]
    assert [(i["quantity"], i["line_total"]) for i in usage] == [("3", "1.50")]
