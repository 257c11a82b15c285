from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from tests.subscriptions.support import Billing


async def test_monthly_renewals(billing: Billing) -> None:
    await billing.move_to(date(2027, 1, 31))
    tenant = await billing.tenant()
    price = await billing.price("31.00")
    sub = await billing.subscribe(tenant["id"], price)
    assert sub["current_period_start"] == "2027-01-31"
    assert sub["current_period_end"] == "2027-02-28"
    await billing.move_to(date(2027, 5, 2))
    report = await billing.run_cycle()
    print(report)
    records = await billing.records(sub["id"])
    print([(r["period_start"], r["period_end"], r["total_amount"]) for r in records])
    assert [r["period_start"] for r in records] == ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]
