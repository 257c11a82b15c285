"""Subscriptions over the API: trials, anchors, renewals, plan changes with proration,
cancelling, pausing and resuming, scoping and bad input. June 2027 has 30 days, so a 30.00
monthly price costs exactly 1.00 a day in it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.subscriptions.support import ADMIN, BILLING, Billing

pytestmark = pytest.mark.usefixtures("clock_back")

JUNE_1 = date(2027, 6, 1)
JUNE_16 = date(2027, 6, 16)
JULY_1 = date(2027, 7, 1)


def lines(invoice: Any) -> list[tuple[str, str, str]]:
    return [(i["quantity"], i["unit_price"], i["line_total"]) for i in invoice["items"]]


async def june_subscriber(billing: Billing, amount: str = "30.00", **fields: Any) -> Any:
    """A tenant subscribed on June 1 to a monthly price (send_invoice, 16 % VAT)."""
    await billing.move_to(JUNE_1)
    tenant = await billing.tenant()
    price = await billing.price(amount, **fields)
    sub = await billing.subscribe(tenant["id"], price)
    return tenant, price, sub


class TestCreate:
    async def test_first_period_is_invoiced_at_once(self, billing: Billing) -> None:
        _, price, sub = await june_subscriber(billing)

        assert sub["status"] == "active"
        assert (sub["current_period_start"], sub["current_period_end"]) == (
            "2027-06-01",
            "2027-07-01",
        )
        assert sub["next_invoice_date"] == "2027-07-01"
        assert sub["items"][0]["price_id"] == price["id"]
        (invoice,) = await billing.invoices(sub["id"])
        assert invoice["status"] == "issued"
        assert invoice["invoice_number"]
        assert (invoice["subtotal"], invoice["tax_amount"], invoice["total_amount"]) == (
            "30.00",
            "4.80",
            "34.80",
        )
        assert (invoice["issue_date"], invoice["due_date"]) == ("2027-06-01", "2027-06-15")
        assert invoice["items"][0]["variant_info"]["subscription_id"] == sub["id"]
        assert invoice["items"][0]["variant_info"]["period_start"] == "2027-06-01"
        assert (await billing.get(f"{ADMIN}/prices/{price['id']}"))["in_use"] is True

    async def test_trial_then_the_first_invoice_on_its_last_day(self, billing: Billing) -> None:
        await billing.move_to(JUNE_1)
        tenant = await billing.tenant()
        price = await billing.price("30.00", trial_days=14)

        sub = await billing.subscribe(tenant["id"], price)

        assert (sub["status"], sub["trial_end"], sub["current_period_end"]) == (
            "trialing",
            "2027-06-15",
            "2027-06-15",
        )
        assert await billing.records(sub["id"]) == []
        await billing.move_to(date(2027, 6, 15))
        await billing.run_cycle()
        after = await billing.subscription(sub["id"])
        assert (after["status"], after["current_period_start"], after["current_period_end"]) == (
            "active",
            "2027-06-15",
            "2027-07-15",
        )
        (record,) = await billing.records(sub["id"])
        assert (record["period_start"], record["total_amount"]) == ("2027-06-15", "34.80")

    async def test_an_anchor_day_bills_a_stub_first(self, billing: Billing) -> None:
        await billing.move_to(date(2027, 1, 15))
        tenant = await billing.tenant()
        price = await billing.price("31.00")

        sub = await billing.subscribe(tenant["id"], price, billing_anchor_day=1)

        assert (sub["billing_anchor"], sub["current_period_end"]) == ("2027-02-01", "2027-02-01")
        await billing.move_to(date(2027, 2, 1))
        await billing.run_cycle()
        stub, february = await billing.invoices(sub["id"])
        assert stub["subtotal"] == "17.00"  # 17 of January's 31 days
        assert "17 of 31 days" in stub["items"][0]["description"]
        assert february["subtotal"] == "31.00"

    async def test_in_arrears_the_period_is_invoiced_at_its_end(self, billing: Billing) -> None:
        await billing.move_to(date(2027, 3, 1))
        tenant = await billing.tenant()
        price = await billing.price("31.00", billing_timing="in_arrears")

        sub = await billing.subscribe(tenant["id"], price)

        assert await billing.records(sub["id"]) == []
        assert sub["next_invoice_date"] == "2027-04-01"
        await billing.move_to(date(2027, 4, 1))
        await billing.run_cycle()
        (record,) = await billing.records(sub["id"])
        assert (record["period_start"], record["period_end"]) == ("2027-03-01", "2027-04-01")
        assert (await billing.invoice(record["invoice_id"]))["subtotal"] == "31.00"

    async def test_a_start_in_the_past_bills_each_period_since(self, billing: Billing) -> None:
        await billing.move_to(date(2027, 4, 20))
        tenant = await billing.tenant()
        price = await billing.price("31.00")

        sub = await billing.subscribe(tenant["id"], price, start_date="2027-01-31")
        first = await billing.records(sub["id"])
        await billing.run_cycle()
        again = await billing.run_cycle()

        assert [r["period_start"] for r in first] == ["2027-01-31"]
        records = await billing.records(sub["id"])
        assert [(r["period_start"], r["period_end"]) for r in records] == [
            ("2027-01-31", "2027-02-28"),
            ("2027-02-28", "2027-03-31"),
            ("2027-03-31", "2027-04-30"),
        ]
        assert again.periods_advanced == 0
        current = await billing.subscription(sub["id"])
        assert (current["current_period_start"], current["current_period_end"]) == (
            "2027-03-31",
            "2027-04-30",
        )

    async def test_seats_bill_quantity_times_price(self, billing: Billing) -> None:
        await billing.move_to(JUNE_1)
        tenant = await billing.tenant()
        price = await billing.price("7.50")

        sub = await billing.subscribe(tenant["id"], price, quantities=["12"])

        (invoice,) = await billing.invoices(sub["id"])
        assert lines(invoice) == [("12", "7.50", "90.00")]

    @pytest.mark.parametrize(
        ("change", "status", "code"),
        [
            ({"start_date": "2099-01-01"}, 422, "subscription_invalid"),
            ({"billing_anchor_day": 32}, 422, "validation_error"),
            ({"items": []}, 422, "validation_error"),
            ({"items": [{"price_id": "PRICE", "quantity": "1" * 40}]}, 422, "validation_error"),
            ({"items": [{"price_id": "PRICE", "quantity": "0"}]}, 422, "validation_error"),
            ({"items": [{"price_id": str(uuid.uuid4())}]}, 400, "price_not_found"),
            ({"notes": "a\x00b"}, 422, "validation_error"),
            ({"tenant_id": str(uuid.uuid4())}, 404, "tenant_not_found"),
            ({"collection_method": "charge_automatically", "days_until_due": 3}, 422, None),
        ],
    )
    async def test_bad_input_is_refused_and_writes_nothing(
        self, billing: Billing, change: dict[str, Any], status: int, code: str | None
    ) -> None:
        tenant = await billing.tenant()
        price = await billing.price()
        body: dict[str, Any] = {
            "tenant_id": tenant["id"],
            "items": [{"price_id": price["id"]}],
            **change,
        }
        for item in body["items"]:
            if item.get("price_id") == "PRICE":
                item["price_id"] = price["id"]

        response = await billing.http.post(
            f"{ADMIN}/subscriptions", json=body, headers=billing.admin
        )

        assert response.status_code == status, response.text
        if code:
            assert response.json()["error"]["code"] == code
        assert await billing.get(f"{ADMIN}/subscriptions", tenant_id=tenant["id"]) == []
        assert (await billing.get(f"{ADMIN}/prices/{price['id']}"))["in_use"] is False

    async def test_prices_must_share_currency_cadence_and_timing(self, billing: Billing) -> None:
        tenant = await billing.tenant()
        monthly = await billing.price()
        yearly = await billing.price(interval="year")
        flat = await billing.price(billing_scheme="flat")

        mixed = await billing.http.post(
            f"{ADMIN}/subscriptions",
            json={
                "tenant_id": tenant["id"],
                "items": [{"price_id": monthly["id"]}, {"price_id": yearly["id"]}],
            },
            headers=billing.admin,
        )
        seats_of_flat = await billing.http.post(
            f"{ADMIN}/subscriptions",
            json={"tenant_id": tenant["id"], "items": [{"price_id": flat["id"], "quantity": "2"}]},
            headers=billing.admin,
        )

        assert (mixed.status_code, mixed.json()["error"]["code"]) == (400, "prices_incompatible")
        assert (seats_of_flat.status_code, seats_of_flat.json()["error"]["code"]) == (
            422,
            "subscription_invalid",
        )

    async def test_a_currency_that_is_not_enabled(self, billing: Billing) -> None:
        tenant = await billing.tenant()
        price = await billing.price(currency="USD")
        response = await billing.http.post(
            f"{ADMIN}/subscriptions",
            json={"tenant_id": tenant["id"], "items": [{"price_id": price["id"]}]},
            headers=billing.admin,
        )
        assert response.status_code == 422
        assert "USD is not enabled" in response.json()["error"]["message"]

    async def test_a_replayed_create_makes_one_subscription(self, billing: Billing) -> None:
        tenant = await billing.tenant()
        price = await billing.price()
        body = {"tenant_id": tenant["id"], "items": [{"price_id": price["id"]}]}
        headers = {**billing.admin, "Idempotency-Key": uuid.uuid4().hex}

        first = await billing.http.post(f"{ADMIN}/subscriptions", json=body, headers=headers)
        second = await billing.http.post(f"{ADMIN}/subscriptions", json=body, headers=headers)

        assert first.status_code == second.status_code == 201
        assert second.headers.get("Idempotent-Replayed") == "true"
        assert first.json()["data"]["id"] == second.json()["data"]["id"]
        assert len(await billing.get(f"{ADMIN}/subscriptions", tenant_id=tenant["id"])) == 1


class TestScoping:
    async def test_tenants_read_their_own_and_nothing_else(self, billing: Billing) -> None:
        tenant, _, sub = await june_subscriber(billing)
        other = await billing.tenant()
        mine = billing.tokens.owner(uuid.UUID(tenant["id"]))
        theirs = billing.tokens.owner(uuid.UUID(other["id"]))

        listed = await billing.http.get(f"{BILLING}/subscriptions", headers=mine)
        got = await billing.http.get(f"{BILLING}/subscriptions/{sub['id']}", headers=mine)
        hidden = await billing.http.get(f"{BILLING}/subscriptions/{sub['id']}", headers=theirs)
        staff_only = await billing.http.post(
            f"{ADMIN}/subscriptions/{sub['id']}/cancel", json={}, headers=mine
        )
        upcoming_other = await billing.http.get(f"{BILLING}/upcoming", headers=theirs)
        upcoming_named = await billing.http.get(
            f"{BILLING}/upcoming", params={"subscription_id": sub["id"]}, headers=theirs
        )

        assert [s["id"] for s in listed.json()["data"]] == [sub["id"]]
        assert got.status_code == 200
        assert hidden.status_code == 404
        assert hidden.json()["error"]["code"] == "subscription_not_found"
        assert staff_only.status_code == 403
        assert upcoming_other.status_code == 404
        assert upcoming_named.status_code == 404
        assert (await billing.subscription(sub["id"]))["status"] == "active"

    async def test_resellers_act_only_in_their_subtree(self, billing: Billing) -> None:
        reseller = await billing.post(f"{ADMIN}/resellers", {"name": "R1"}, 201)
        headers = billing.tokens.reseller(uuid.UUID(reseller["id"]))
        own_tenant = await billing.tenant(reseller_id=reseller["id"])
        _, price, foreign = await june_subscriber(billing)

        created = await billing.http.post(
            f"{ADMIN}/subscriptions",
            json={
                "tenant_id": own_tenant["id"],
                "items": [{"price_id": price["id"]}],
                "collection_method": "send_invoice",
            },
            headers=headers,
        )
        attempts = [
            await billing.http.get(f"{ADMIN}/subscriptions/{foreign['id']}", headers=headers),
            await billing.http.post(
                f"{ADMIN}/subscriptions/{foreign['id']}/change",
                json={"quantity": "3"},
                headers=headers,
            ),
            await billing.http.post(
                f"{ADMIN}/subscriptions/{foreign['id']}/cancel", json={}, headers=headers
            ),
            await billing.http.post(
                f"{ADMIN}/proration/calculate",
                json={"subscriber_id": foreign["tenant_id"], "quantity": "2"},
                headers=headers,
            ),
            await billing.http.get(
                f"{ADMIN}/tenants/{foreign['tenant_id']}/upcoming", headers=headers
            ),
            await billing.http.post(
                f"{ADMIN}/subscriptions/{foreign['id']}/pause", json={}, headers=headers
            ),
            await billing.http.post(
                f"{ADMIN}/subscriptions/{foreign['id']}/resume", json={}, headers=headers
            ),
            await billing.http.patch(
                f"{ADMIN}/subscriptions/{foreign['id']}",
                json={"cancel_at_period_end": True},
                headers=headers,
            ),
            await billing.http.get(
                f"{ADMIN}/subscriptions/{foreign['id']}/invoices", headers=headers
            ),
        ]
        listed = await billing.http.get(f"{ADMIN}/subscriptions", headers=headers)

        assert created.status_code == 201, created.text
        assert [a.status_code for a in attempts] == [404] * 9
        assert [s["id"] for s in listed.json()["data"]] == [created.json()["data"]["id"]]
        untouched = await billing.subscription(foreign["id"])
        assert (untouched["status"], untouched["items"][0]["quantity"]) == ("active", "1")
        assert untouched["cancel_at_period_end"] is False


class TestChange:
    async def test_an_upgrade_invoiced_now_bills_exactly_the_quote(self, billing: Billing) -> None:
        tenant, _, sub = await june_subscriber(billing)
        better = await billing.price("60.00")
        await billing.move_to(JUNE_16)

        quote = await billing.quote(subscriber_id=tenant["id"], new_service_id=better["id"])
        result = await billing.act(
            sub["id"], "change", price_id=better["id"], proration_behavior="invoice_now"
        )

        assert {
            k: quote[k]
            for k in ("old_unused_credit", "new_service_charge", "net_amount_due", "days_remaining")
        } == {
            "old_unused_credit": "15.00",
            "new_service_charge": "30.00",
            "net_amount_due": "15.00",
            "days_remaining": 15,
        }
        assert result["proration"] == quote
        invoice = await billing.invoice(result["invoice_id"])
        assert invoice["subtotal"] == quote["net_amount_due"]
        assert lines(invoice) == [("-1", "15.00", "-15.00"), ("1", "30.00", "30.00")]
        assert invoice["total_amount"] == "17.40"
        assert result["subscription"]["items"][0]["price_id"] == better["id"]
        assert result["pending_amount"] == "0.00"

    async def test_a_downgrade_invoiced_now_credits_the_wallet_gross(
        self, billing: Billing
    ) -> None:
        tenant, _, sub = await june_subscriber(billing, "60.00")
        cheaper = await billing.price("30.00")
        await billing.move_to(JUNE_16)

        result = await billing.act(
            sub["id"], "change", price_id=cheaper["id"], proration_behavior="invoice_now"
        )

        assert result["proration"]["net_amount_due"] == "-15.00"
        assert result["invoice_id"] is None
        assert result["wallet_credit"] == "17.40"  # 15.00 + 16 % VAT
        assert await billing.wallet(tenant["id"]) == Decimal("17.40")
        await billing.move_to(JULY_1)
        await billing.run_cycle()
        july = (await billing.invoices(sub["id"]))[-1]
        assert (july["total_amount"], july["amount_paid"], july["balance"]) == (
            "34.80",
            "17.40",
            "17.40",
        )
        assert await billing.wallet(tenant["id"]) == Decimal(0)

    async def test_next_invoice_waits_for_the_renewal_and_the_preview_shows_it(
        self, billing: Billing
    ) -> None:
        tenant, _, sub = await june_subscriber(billing)
        better = await billing.price("60.00")
        await billing.move_to(JUNE_16)

        result = await billing.act(sub["id"], "change", price_id=better["id"])
        upcoming = await billing.upcoming(tenant["id"])
        await billing.move_to(JULY_1)
        await billing.run_cycle()
        july = (await billing.invoices(sub["id"]))[-1]

        assert result["invoice_id"] is None
        assert result["pending_amount"] == "15.00"
        assert [line["kind"] for line in upcoming["lines"]] == [
            "proration",
            "proration",
            "subscription",
        ]
        assert [line["line_total"] for line in upcoming["lines"]] == ["-15.00", "30.00", "60.00"]
        assert lines(july) == [
            (line["quantity"], line["unit_price"], line["line_total"]) for line in upcoming["lines"]
        ]
        assert (july["subtotal"], july["total_amount"]) == (
            upcoming["subtotal"],
            upcoming["total_amount"],
        )
        assert july["issue_date"] == upcoming["issue_date"] == "2027-07-01"

    async def test_none_changes_the_price_from_the_next_period(self, billing: Billing) -> None:
        _, _, sub = await june_subscriber(billing)
        better = await billing.price("60.00")
        await billing.move_to(JUNE_16)

        result = await billing.act(
            sub["id"], "change", price_id=better["id"], proration_behavior="none"
        )
        await billing.move_to(JULY_1)
        await billing.run_cycle()

        assert (result["proration"], result["invoice_id"], result["pending_amount"]) == (
            None,
            None,
            "0.00",
        )
        june, july = await billing.invoices(sub["id"])
        assert (june["subtotal"], july["subtotal"]) == ("30.00", "60.00")

    async def test_more_seats_mid_period(self, billing: Billing) -> None:
        await billing.move_to(JUNE_1)
        tenant = await billing.tenant()
        price = await billing.price("3.00")
        sub = await billing.subscribe(tenant["id"], price, quantities=["10"])
        await billing.move_to(date(2027, 6, 21))

        result = await billing.act(
            sub["id"], "change", quantity="15", proration_behavior="invoice_now"
        )

        # 10 days left of 30: 10 seats' unused 10.00 back, 15 seats' 15.00 charged.
        assert (
            result["proration"]["old_unused_credit"],
            result["proration"]["new_service_charge"],
            result["proration"]["net_amount_due"],
        ) == ("10.00", "15.00", "5.00")
        assert (await billing.invoice(result["invoice_id"]))["subtotal"] == "5.00"

    async def test_in_arrears_a_change_lands_on_the_period_end_invoice(
        self, billing: Billing
    ) -> None:
        tenant, _, sub = await june_subscriber(billing, billing_timing="in_arrears")
        better = await billing.price("60.00", billing_timing="in_arrears")
        await billing.move_to(JUNE_16)

        refused = await billing.http.post(
            f"{ADMIN}/subscriptions/{sub['id']}/change",
            json={"price_id": better["id"], "proration_behavior": "invoice_now"},
            headers=billing.admin,
        )
        quote = await billing.quote(tenant_id=tenant["id"], price_id=better["id"])
        result = await billing.act(sub["id"], "change", price_id=better["id"])
        await billing.move_to(JULY_1)
        await billing.run_cycle()

        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "proration_behavior_not_supported"
        assert result["proration"] == quote
        assert quote["net_amount_due"] == "15.00"
        (june,) = await billing.invoices(sub["id"])
        assert june["subtotal"] == "45.00"  # 15 days at 30.00, 15 days at 60.00 = 30.00 + 15.00

    async def test_concurrent_changes_apply_one_after_the_other(self, billing: Billing) -> None:
        await billing.move_to(JUNE_1)
        tenant = await billing.tenant()
        price = await billing.price("3.00")
        sub = await billing.subscribe(tenant["id"], price, quantities=["10"])
        await billing.move_to(date(2027, 6, 21))

        responses = await asyncio.gather(
            *(
                billing.http.post(
                    f"{ADMIN}/subscriptions/{sub['id']}/change",
                    json={"quantity": str(seats), "proration_behavior": "invoice_now"},
                    headers=billing.admin,
                )
                for seats in range(11, 16)
            )
        )

        assert [r.status_code for r in responses] == [200] * 5
        final = Decimal((await billing.subscription(sub["id"]))["items"][0]["quantity"])
        results = [r.json()["data"] for r in responses]
        # Days 1-20 at 10 seats (20.00), days 21-30 at the final count (1.00 a seat): whatever
        # the order, the changes add exactly that to the 30.00 billed on June 1.
        nets = [Decimal(r["proration"]["net_amount_due"]) for r in results]
        assert sum(nets, Decimal(0)) == final - 10
        for result, net in zip(results, nets, strict=True):
            if net > 0:
                assert (await billing.invoice(result["invoice_id"]))["subtotal"] == str(net)
            else:
                assert Decimal(result["wallet_credit"]) == -net * Decimal("1.16")
        chain = sorted(
            (Decimal(r["proration"]["old_quantity"]), Decimal(r["proration"]["new_quantity"]))
            for r in results
        )
        assert {old for old, _ in chain} - {new for _, new in chain} == {Decimal(10)}

    async def test_a_replayed_change_bills_once(self, billing: Billing) -> None:
        _, _, sub = await june_subscriber(billing)
        await billing.move_to(JUNE_16)
        headers = {**billing.admin, "Idempotency-Key": uuid.uuid4().hex}
        body = {"quantity": "2", "proration_behavior": "invoice_now"}

        first = await billing.http.post(
            f"{ADMIN}/subscriptions/{sub['id']}/change", json=body, headers=headers
        )
        second = await billing.http.post(
            f"{ADMIN}/subscriptions/{sub['id']}/change", json=body, headers=headers
        )
        huge = await billing.http.post(
            f"{ADMIN}/subscriptions/{sub['id']}/change",
            json={"quantity": "9" * 40},
            headers=billing.admin,
        )

        assert first.status_code == second.status_code == 200
        assert second.headers.get("Idempotent-Replayed") == "true"
        assert first.json()["data"]["invoice_id"] == second.json()["data"]["invoice_id"]
        assert len(await billing.records(sub["id"])) == 2
        assert huge.status_code == 422
        assert (await billing.subscription(sub["id"]))["items"][0]["quantity"] == "2"

    async def test_nothing_to_change_and_unknown_items(self, billing: Billing) -> None:
        _, price, sub = await june_subscriber(billing)
        same = await billing.http.post(
            f"{ADMIN}/subscriptions/{sub['id']}/change",
            json={"price_id": price["id"]},
            headers=billing.admin,
        )
        unknown = await billing.http.post(
            f"{ADMIN}/subscriptions/{sub['id']}/change",
            json={"item_id": str(uuid.uuid4()), "quantity": "2"},
            headers=billing.admin,
        )
        empty = await billing.http.post(
            f"{ADMIN}/subscriptions/{sub['id']}/change", json={}, headers=billing.admin
        )
        assert (same.status_code, same.json()["error"]["code"]) == (422, "subscription_invalid")
        assert (unknown.status_code, unknown.json()["error"]["code"]) == (
            400,
            "subscription_item_not_found",
        )
        assert empty.status_code == 422

    async def test_a_quote_needs_one_subscription(self, billing: Billing) -> None:
        tenant, price, _ = await june_subscriber(billing)
        other_price = await billing.price("5.00")
        await billing.subscribe(tenant["id"], other_price)

        response = await billing.http.post(
            f"{ADMIN}/proration/calculate",
            json={"tenant_id": tenant["id"], "new_price_id": price["id"]},
            headers=billing.admin,
        )
        both_names = await billing.http.post(
            f"{ADMIN}/proration/calculate",
            json={"tenant_id": tenant["id"], "subscriber_id": str(uuid.uuid4()), "quantity": "2"},
            headers=billing.admin,
        )

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "subscription_ambiguous"
        assert len(response.json()["error"]["details"]) == 2
        assert both_names.status_code == 422

    @pytest.mark.parametrize("value", [{}, [], [{}], {"id": "x"}])
    async def test_a_quote_with_an_object_for_a_name_is_refused_clearly(
        self, billing: Billing, value: Any
    ) -> None:
        tenant, _, _ = await june_subscriber(billing)
        for body in (
            {"tenant_id": tenant["id"], "price_id": value, "quantity": "0"},
            {"tenant_id": value, "subscriber_id": value, "quantity": "2"},
            {"tenant_id": tenant["id"], "price_id": value, "new_service_id": [value]},
        ):
            response = await billing.http.post(
                f"{ADMIN}/proration/calculate", json=body, headers=billing.admin
            )
            assert response.status_code == 422, body
            assert response.json()["error"]["code"] == "validation_error"


class TestEnding:
    async def test_cancel_at_period_end_bills_nothing_more(self, billing: Billing) -> None:
        _, _, sub = await june_subscriber(billing)

        result = await billing.act(sub["id"], "cancel", at_period_end=True)
        await billing.move_to(date(2027, 8, 15))
        await billing.run_cycle()

        assert result["subscription"]["cancel_at_period_end"] is True
        assert result["subscription"]["next_invoice_date"] is None
        after = await billing.subscription(sub["id"])
        assert (after["status"], after["ended_at"]) == ("cancelled", "2027-07-01")
        assert len(await billing.records(sub["id"])) == 1

    async def test_undo_cancel_at_period_end(self, billing: Billing) -> None:
        _, _, sub = await june_subscriber(billing)
        await billing.act(sub["id"], "cancel", at_period_end=True)

        response = await billing.http.patch(
            f"{ADMIN}/subscriptions/{sub['id']}",
            json={"cancel_at_period_end": False},
            headers=billing.admin,
        )
        await billing.move_to(JULY_1)
        await billing.run_cycle()

        assert response.status_code == 200
        assert len(await billing.records(sub["id"])) == 2

    async def test_cancel_now_credits_the_unused_days(self, billing: Billing) -> None:
        tenant, _, sub = await june_subscriber(billing)
        await billing.move_to(date(2027, 6, 21))

        result = await billing.act(sub["id"], "cancel", reason="too expensive")
        again = await billing.http.post(
            f"{ADMIN}/subscriptions/{sub['id']}/cancel", json={}, headers=billing.admin
        )

        assert result["subscription"]["status"] == "cancelled"
        assert result["subscription"]["ended_at"] == "2027-06-21"
        assert result["subscription"]["cancellation_reason"] == "too expensive"
        assert result["wallet_credit"] == "11.60"  # 10 unused days: 10.00 + VAT
        assert await billing.wallet(tenant["id"]) == Decimal("11.60")
        assert (again.status_code, again.json()["error"]["code"]) == (
            409,
            "subscription_state_conflict",
        )
        await billing.move_to(date(2027, 9, 1))
        await billing.run_cycle()
        assert len(await billing.records(sub["id"])) == 1

    async def test_cancel_now_in_arrears_invoices_the_days_used(self, billing: Billing) -> None:
        _, _, sub = await june_subscriber(billing, billing_timing="in_arrears")
        await billing.move_to(date(2027, 6, 11))

        result = await billing.act(sub["id"], "cancel")

        final = await billing.invoice(result["invoice_id"])
        assert final["subtotal"] == "10.00"
        assert "10 of 30 days" in final["items"][0]["description"]

    async def test_pause_credits_then_resume_bills_the_rest(self, billing: Billing) -> None:
        tenant, _, sub = await june_subscriber(billing)
        await billing.move_to(date(2027, 6, 11))

        paused = await billing.act(sub["id"], "pause")
        await billing.move_to(date(2027, 6, 21))
        resumed = await billing.act(sub["id"], "resume")
        await billing.move_to(JULY_1)
        await billing.run_cycle()

        assert paused["subscription"]["status"] == "paused"
        assert paused["wallet_credit"] == "23.20"  # 20 unused days + VAT
        assert resumed["subscription"]["status"] == "active"
        rest = await billing.invoice(resumed["invoice_id"])
        assert rest["subtotal"] == "10.00"  # June 21-30
        assert rest["amount_paid"] == "11.60"  # paid from the wallet credit
        june, _rest, july = await billing.invoices(sub["id"])
        assert (june["subtotal"], july["subtotal"]) == ("30.00", "30.00")
        assert await billing.wallet(tenant["id"]) == Decimal(0)  # 23.20 - 11.60 - 11.60

    async def test_resume_in_a_later_period_starts_a_period_that_day(
        self, billing: Billing
    ) -> None:
        _, _, sub = await june_subscriber(billing)
        await billing.move_to(date(2027, 6, 11))
        await billing.act(sub["id"], "pause", proration_behavior="none")
        await billing.move_to(date(2027, 8, 22))
        await billing.run_cycle()
        assert len(await billing.records(sub["id"])) == 1  # nothing renews while paused

        resumed = await billing.act(sub["id"], "resume")

        assert (
            resumed["subscription"]["current_period_start"],
            resumed["subscription"]["current_period_end"],
        ) == ("2027-08-22", "2027-09-01")
        rest = await billing.invoice(resumed["invoice_id"])
        assert rest["subtotal"] == "9.68"  # August 22-31: 10 of 31 days of 30.00
        records = await billing.records(sub["id"])
        assert [r["kind"] for r in records] == ["renewal", "renewal"]
        assert records[-1]["period_start"] == "2027-08-01"

    async def test_only_paused_subscriptions_resume(self, billing: Billing) -> None:
        _, _, sub = await june_subscriber(billing)
        response = await billing.http.post(
            f"{ADMIN}/subscriptions/{sub['id']}/resume", json={}, headers=billing.admin
        )
        assert response.status_code == 409


class TestOperatorTimeZone:
    async def test_days_are_the_operators(self, billing: Billing) -> None:
        # 10:00 UTC on June 30 is already July 1 on Kiritimati (UTC+14).
        await billing.put_settings(timezone="Pacific/Kiritimati")
        try:
            await billing.move_to(date(2027, 5, 31))
            tenant = await billing.tenant()
            price = await billing.price("30.00")
            sub = await billing.subscribe(tenant["id"], price)
            assert sub["current_period_start"] == "2027-06-01"  # local today at 12:00 UTC
            await billing.ok(
                await billing.http.post(
                    "/api/v1/test/clock",
                    json={"now": "2027-06-30T10:00:00+00:00", "run_cycle": False},
                )
            )
            quote = await billing.quote(tenant_id=tenant["id"], quantity="2")
            await billing.run_cycle()

            assert quote["proration_date"] == "2027-07-01"
            assert quote["period_start"] == "2027-07-01"
            records = await billing.records(sub["id"])
            assert [r["period_start"] for r in records] == ["2027-06-01", "2027-07-01"]
        finally:
            await billing.put_settings(timezone="UTC")
