"""GET /billing/upcoming (seed 002): the next invoice as it will be issued, to the cent."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from tests.subscriptions.support import ADMIN, BILLING, Billing

pytestmark = pytest.mark.usefixtures("clock_back")

COMPARED = ("subtotal", "tax_amount", "total_amount", "issue_date")


def as_issued(invoice: Any) -> list[tuple[str, str, str, str, str]]:
    return [
        (i["name"], i["quantity"], i["unit_price"], i["tax_rate"], i["line_total"])
        for i in invoice["items"]
    ]


def as_previewed(upcoming: Any) -> list[tuple[str, str, str, str, str]]:
    return [
        (i["name"], i["quantity"], i["unit_price"], i["tax_rate"], i["line_total"])
        for i in upcoming["lines"]
    ]


async def tenant_view(billing: Billing, tenant: Any, **params: Any) -> Any:
    response = await billing.http.get(
        f"{BILLING}/upcoming",
        params=params,
        headers=billing.tokens.member(uuid.UUID(tenant["id"])),
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


class TestEqualsTheIssuedInvoice:
    async def test_in_advance_with_seats(self, billing: Billing) -> None:
        await billing.move_to(date(2027, 3, 10))
        tenant = await billing.tenant()
        seats = await billing.price("4.35")
        base = await billing.price("19.99", billing_scheme="flat")
        sub = await billing.subscribe(tenant["id"], base, seats, quantities=["1", "7"])

        upcoming = await tenant_view(billing, tenant)
        await billing.move_to(date(2027, 4, 10))
        await billing.run_cycle()
        issued = (await billing.invoices(sub["id"]))[-1]

        assert upcoming["subscription_id"] == sub["id"]
        assert (upcoming["period_start"], upcoming["period_end"]) == ("2027-04-10", "2027-05-10")
        assert as_previewed(upcoming) == as_issued(issued)
        assert {k: upcoming[k] for k in COMPARED} == {k: issued[k] for k in COMPARED}
        assert upcoming["tax_breakdown"] == issued["tax_breakdown"]
        assert upcoming["usage_metered"] is True
        assert [line["kind"] for line in upcoming["lines"]] == ["subscription", "subscription"]

    async def test_in_arrears_after_a_change(self, billing: Billing) -> None:
        await billing.move_to(date(2027, 6, 1))
        tenant = await billing.tenant()
        price = await billing.price("30.00", billing_timing="in_arrears")
        bigger = await billing.price("45.00", billing_timing="in_arrears")
        sub = await billing.subscribe(tenant["id"], price)
        await billing.move_to(date(2027, 6, 11))
        await billing.act(sub["id"], "change", price_id=bigger["id"])

        upcoming = await tenant_view(billing, tenant)
        await billing.move_to(date(2027, 7, 1))
        await billing.run_cycle()
        (issued,) = await billing.invoices(sub["id"])

        assert upcoming["issue_date"] == "2027-07-01"
        assert as_previewed(upcoming) == as_issued(issued)
        assert issued["subtotal"] == "40.00"  # 10 days at 30.00 + 20 days at 45.00

    async def test_after_a_trial(self, billing: Billing) -> None:
        await billing.move_to(date(2027, 6, 1))
        tenant = await billing.tenant()
        price = await billing.price("12.00", trial_days=30)
        sub = await billing.subscribe(tenant["id"], price)

        upcoming = await tenant_view(billing, tenant)
        await billing.move_to(date(2027, 7, 1))
        await billing.run_cycle()
        (issued,) = await billing.invoices(sub["id"])

        assert upcoming["issue_date"] == "2027-07-01"
        assert as_previewed(upcoming) == as_issued(issued)
        assert upcoming["total_amount"] == issued["total_amount"] == "13.92"


class TestChoiceAndWallet:
    async def test_the_soonest_and_the_wallet(self, billing: Billing) -> None:
        await billing.move_to(date(2027, 6, 1))
        tenant = await billing.tenant()
        monthly = await billing.price("50.00")
        yearly = await billing.price("500.00", interval="year")
        sub_month = await billing.subscribe(tenant["id"], monthly)
        sub_year = await billing.subscribe(tenant["id"], yearly)
        await billing.move_to(date(2027, 6, 16))
        # A downgrade credited now leaves 10.00 net + VAT in the wallet.
        cheaper = await billing.price("30.00")
        result = await billing.act(
            sub_month["id"], "change", price_id=cheaper["id"], proration_behavior="invoice_now"
        )

        soonest = await tenant_view(billing, tenant)
        yearly_view = await tenant_view(billing, tenant, subscription_id=sub_year["id"])
        admin_view = await billing.upcoming(tenant["id"])

        assert result["wallet_credit"] == "11.60"
        assert soonest["subscription_id"] == sub_month["id"]
        assert soonest["other_subscriptions"] == [sub_year["id"]]
        assert (
            soonest["total_amount"],
            soonest["wallet_credit_applied"],
            soonest["amount_due"],
        ) == (
            "34.80",
            "11.60",
            "23.20",
        )
        assert yearly_view["issue_date"] == "2028-06-01"
        assert admin_view == soonest

    async def test_nothing_upcoming(self, billing: Billing) -> None:
        await billing.move_to(date(2027, 6, 1))
        tenant = await billing.tenant()
        price = await billing.price()
        sub = await billing.subscribe(tenant["id"], price)
        await billing.act(sub["id"], "cancel", at_period_end=True)
        empty = await billing.tenant()

        ending = await billing.http.get(
            f"{ADMIN}/tenants/{tenant['id']}/upcoming", headers=billing.admin
        )
        none = await billing.http.get(
            f"{ADMIN}/tenants/{empty['id']}/upcoming", headers=billing.admin
        )
        unknown = await billing.http.get(
            f"{ADMIN}/tenants/{tenant['id']}/upcoming",
            params={"subscription_id": str(uuid.uuid4())},
            headers=billing.admin,
        )

        assert (ending.status_code, ending.json()["error"]["code"]) == (404, "no_upcoming_invoice")
        assert (none.status_code, none.json()["error"]["code"]) == (404, "no_upcoming_invoice")
        assert (unknown.status_code, unknown.json()["error"]["code"]) == (
            404,
            "subscription_not_found",
        )
