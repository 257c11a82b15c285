"""Recurring prices: valid terms, frozen once used, replaced rather than edited."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from billing.core.db import libpq_database_url
from tests.subscriptions.support import ADMIN, Billing

pytestmark = pytest.mark.usefixtures("clock_back")


class TestCreate:
    async def test_defaults_follow_the_product(self, billing: Billing) -> None:
        product = await billing.product(currency="KES", name="Fibre 20M")

        price = await billing.price("2500", product_id=product["id"])

        assert price["currency"] == "KES"
        assert price["unit_amount"] == "2500.00"
        assert (price["billing_scheme"], price["billing_timing"]) == ("per_unit", "in_advance")
        assert (price["interval"], price["interval_count"], price["trial_days"]) == ("month", 1, 0)
        assert price["in_use"] is False
        assert price["used_at"] is None

    async def test_per_unit_amounts_keep_their_decimals(self, billing: Billing) -> None:
        price = await billing.price("0.0125", interval="day")
        assert price["unit_amount"] == "0.0125"

    @pytest.mark.parametrize(
        ("fields", "status", "code"),
        [
            ({"unit_amount": "12.345", "billing_scheme": "flat"}, 422, "price_invalid"),
            ({"interval": "year", "interval_count": 4}, 422, "price_invalid"),
            ({"unit_amount": "-1"}, 422, "validation_error"),
            ({"unit_amount": "1" * 40}, 422, "validation_error"),
            ({"interval": "fortnight"}, 422, "validation_error"),
            ({"nickname": "Pro\x00"}, 422, "validation_error"),
            ({"surprise": True}, 422, "validation_error"),
            ({"tax_rate_id": str(uuid.uuid4())}, 400, "tax_rate_not_found"),
            ({"replaces_price_id": str(uuid.uuid4())}, 400, "price_not_found"),
        ],
    )
    async def test_bad_terms_are_refused_and_nothing_is_written(
        self, billing: Billing, fields: dict[str, object], status: int, code: str
    ) -> None:
        product = await billing.product()
        body = {"product_id": product["id"], "unit_amount": "10.00", "interval": "month", **fields}

        response = await billing.http.post(f"{ADMIN}/prices", json=body, headers=billing.admin)

        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code
        listed = await billing.get(f"{ADMIN}/prices", product_id=product["id"])
        assert listed == []

    async def test_unknown_product(self, billing: Billing) -> None:
        response = await billing.http.post(
            f"{ADMIN}/prices",
            json={"product_id": str(uuid.uuid4()), "unit_amount": "1", "interval": "month"},
            headers=billing.admin,
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "product_not_found"

    async def test_resellers_read_but_do_not_write(self, billing: Billing) -> None:
        reseller = await billing.post(f"{ADMIN}/resellers", {"name": "R"}, 201)
        headers = billing.tokens.reseller(uuid.UUID(reseller["id"]))
        price = await billing.price()

        read = await billing.http.get(f"{ADMIN}/prices/{price['id']}", headers=headers)
        write = await billing.http.post(
            f"{ADMIN}/prices",
            json={"product_id": price["product_id"], "unit_amount": "1", "interval": "month"},
            headers=headers,
        )

        assert read.status_code == 200
        assert write.status_code == 403


class TestFrozenOnceUsed:
    async def test_terms_change_freely_before_use(self, billing: Billing) -> None:
        price = await billing.price("10.00")
        response = await billing.http.patch(
            f"{ADMIN}/prices/{price['id']}",
            json={"unit_amount": "12.00", "interval": "quarter"},
            headers=billing.admin,
        )
        assert response.status_code == 200, response.text
        assert (response.json()["data"]["unit_amount"], response.json()["data"]["interval"]) == (
            "12.00",
            "quarter",
        )

    async def test_a_used_price_refuses_new_terms_but_takes_a_nickname(
        self, billing: Billing, subs_database_url: str
    ) -> None:
        tenant = await billing.tenant()
        price = await billing.price("10.00")
        await billing.subscribe(tenant["id"], price)

        refused = await billing.http.patch(
            f"{ADMIN}/prices/{price['id']}", json={"unit_amount": "9.00"}, headers=billing.admin
        )
        renamed = await billing.http.patch(
            f"{ADMIN}/prices/{price['id']}",
            json={"nickname": "Legacy", "active": False},
            headers=billing.admin,
        )

        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "price_in_use"
        assert renamed.status_code == 200, renamed.text
        data = renamed.json()["data"]
        assert (data["nickname"], data["active"], data["in_use"], data["unit_amount"]) == (
            "Legacy",
            False,
            True,
            "10.00",
        )
        # The database refuses it too, whoever writes.
        connection = await asyncpg.connect(libpq_database_url(subs_database_url))
        try:
            with pytest.raises(asyncpg.IntegrityConstraintViolationError):
                await connection.execute(
                    "UPDATE prices SET unit_amount = 1 WHERE id = $1::uuid", price["id"]
                )
        finally:
            await connection.close()

    async def test_a_replacement_retires_the_old_price_for_new_subscriptions(
        self, billing: Billing
    ) -> None:
        tenant = await billing.tenant()
        old = await billing.price("10.00")
        existing = await billing.subscribe(tenant["id"], old)

        new = await billing.price(
            "11.00", product_id=old["product_id"], replaces_price_id=old["id"]
        )
        refused = await billing.http.post(
            f"{ADMIN}/subscriptions",
            json={"tenant_id": tenant["id"], "items": [{"price_id": old["id"]}]},
            headers=billing.admin,
        )

        assert new["replaces_price_id"] == old["id"]
        assert (await billing.get(f"{ADMIN}/prices/{old['id']}"))["active"] is False
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "price_inactive"
        kept = await billing.subscription(existing["id"])
        assert kept["items"][0]["price_id"] == old["id"]

    async def test_a_product_with_prices_cannot_be_deleted(self, billing: Billing) -> None:
        price = await billing.price()
        response = await billing.http.delete(
            f"{ADMIN}/products/{price['product_id']}", headers=billing.admin
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "product_in_use"
