"""Products over HTTP: CRUD, the code/sku alias, unique codes and who may do what."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.catalog.conftest import PRODUCTS, CatalogFactory
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory


def unique_code() -> str:
    return f"SKU-{uuid.uuid4().hex[:12]}"


class TestCreate:
    async def test_create(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        tax_rate = await catalog.create_tax_rate()
        code = unique_code()
        response = await api.post(
            PRODUCTS,
            headers=tokens.admin(),
            json={
                "code": code,
                "name": "Hosting",
                "description": "Monthly hosting",
                "unit_price": "12.5",
                "currency": "eur",
                "tax_rate_id": tax_rate["id"],
            },
        )
        assert response.status_code == 201
        data = response.json()["data"]
        assert data["code"] == code
        assert data["sku"] == code
        assert data["unit_price"] == "12.50"
        assert data["currency"] == "EUR"
        assert data["tax_rate_id"] == tax_rate["id"]
        assert data["unit_code"] == "C62"
        assert data["active"] is True

    async def test_sku_alias(self, api: httpx.AsyncClient, tokens: Tokens) -> None:
        code = unique_code()
        response = await api.post(
            PRODUCTS,
            headers=tokens.admin(),
            json={"sku": code, "name": "x", "unit_price": "1", "currency": "EUR"},
        )
        assert response.status_code == 201
        assert response.json()["data"]["code"] == code
        assert response.json()["data"]["sku"] == code

    async def test_code_and_same_sku_are_accepted(
        self, api: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        code = unique_code()
        response = await api.post(
            PRODUCTS,
            headers=tokens.admin(),
            json={"code": code, "sku": code, "name": "x", "unit_price": "1", "currency": "EUR"},
        )
        assert response.status_code == 201
        assert response.json()["data"]["code"] == code

    async def test_code_and_different_sku_are_refused(
        self, api: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await api.post(
            PRODUCTS,
            headers=tokens.admin(),
            json={"code": "A", "sku": "B", "name": "x", "unit_price": "1", "currency": "EUR"},
        )
        assert response.status_code == 422
        assert "not both" in response.json()["error"]["message"]

    @pytest.mark.parametrize(
        ("price", "currency", "shown"),
        [
            ("100", "JPY", "100"),
            ("0.0125", "EUR", "0.0125"),
            (7, "KES", "7.00"),
            ("1.5", "KWD", "1.500"),
            ("0", "RWF", "0"),
        ],
    )
    async def test_price_display(
        self, catalog: CatalogFactory, price: Any, currency: str, shown: str
    ) -> None:
        created = await catalog.create_product(unit_price=price, currency=currency)
        assert created["unit_price"] == shown

    async def test_unit_code_is_upper_cased(self, catalog: CatalogFactory) -> None:
        created = await catalog.create_product(unit_code="hur")
        assert created["unit_code"] == "HUR"

    async def test_duplicate_code_is_409(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        first = await catalog.create_product()
        response = await api.post(
            PRODUCTS,
            headers=tokens.admin(),
            json={"sku": first["code"], "name": "Copy", "unit_price": "1", "currency": "EUR"},
        )
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "product_code_taken"
        assert first["code"] in error["message"]

    async def test_concurrent_duplicates_create_one(
        self, api: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        body = {"code": unique_code(), "name": "Race", "unit_price": "1", "currency": "EUR"}
        responses = await asyncio.gather(
            *(api.post(PRODUCTS, headers=tokens.admin(), json=body) for _ in range(5))
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201, 409, 409, 409, 409]

    async def test_unknown_tax_rate_is_400(self, api: httpx.AsyncClient, tokens: Tokens) -> None:
        missing = uuid.uuid4()
        response = await api.post(
            PRODUCTS,
            headers=tokens.admin(),
            json={
                "code": unique_code(),
                "name": "x",
                "unit_price": "1",
                "currency": "EUR",
                "tax_rate_id": str(missing),
            },
        )
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "tax_rate_not_found"
        assert str(missing) in error["message"]

    async def test_inactive_tax_rate_is_400(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        tax_rate = await catalog.create_tax_rate(active=False)
        response = await api.post(
            PRODUCTS,
            headers=tokens.admin(),
            json={
                "code": unique_code(),
                "name": "x",
                "unit_price": "1",
                "currency": "EUR",
                "tax_rate_id": tax_rate["id"],
            },
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "tax_rate_inactive"

    @pytest.mark.parametrize(
        ("fields", "field", "message"),
        [
            ({"unit_price": "-1"}, "unit_price", "greater than or equal to 0"),
            ({"unit_price": "1.1234567"}, "unit_price", "decimal places"),
            ({"unit_price": "NaN"}, "unit_price", "decimal number"),
            ({"currency": "EURO"}, "currency", "ISO 4217"),
            ({"unit_code": "HOURS"}, "unit_code", "UN/ECE Recommendation 20"),
            ({"code": ""}, "code", "at least 1 character"),
            ({"code": "x" * 101}, "code", "at most 100 characters"),
            ({"name": None}, "name", "valid string"),
            ({"tax_rate_id": "nope"}, "tax_rate_id", "valid UUID"),
        ],
    )
    async def test_request_validation(
        self,
        api: httpx.AsyncClient,
        tokens: Tokens,
        fields: dict[str, Any],
        field: str,
        message: str,
    ) -> None:
        body = {"code": unique_code(), "name": "x", "unit_price": "1", "currency": "EUR", **fields}
        response = await api.post(PRODUCTS, headers=tokens.admin(), json=body)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        details = {detail["field"]: detail["message"] for detail in error["details"]}
        assert message in details[field], details


class TestRead:
    async def test_get(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        created = await catalog.create_product()
        response = await api.get(f"{PRODUCTS}/{created['id']}", headers=tokens.admin())
        assert response.status_code == 200
        assert response.json()["data"] == created

    async def test_get_unknown_is_404(self, api: httpx.AsyncClient, tokens: Tokens) -> None:
        response = await api.get(f"{PRODUCTS}/{uuid.uuid4()}", headers=tokens.admin())
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "product_not_found"

    async def test_list_filters(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        marker = uuid.uuid4().hex[:8]
        by_code = await catalog.create_product(code=f"{marker}-b", name="Bolt")
        by_name = await catalog.create_product(code=unique_code(), name=f"Nut {marker}")
        in_kes = await catalog.create_product(code=f"{marker}-c", currency="KES", active=False)
        unrelated = await catalog.create_product()

        async def listed(**params: Any) -> list[str]:
            response = await api.get(
                PRODUCTS, headers=tokens.admin(), params={"per_page": 500, **params}
            )
            assert response.status_code == 200
            return [item["id"] for item in response.json()["data"]]

        matching = await listed(q=marker.upper())
        assert set(matching) == {by_code["id"], by_name["id"], in_kes["id"]}
        assert unrelated["id"] not in matching
        assert await listed(q=marker, currency="kes") == [in_kes["id"]]
        assert set(await listed(q=marker, active="true")) == {by_code["id"], by_name["id"]}
        assert await listed(q=marker, active="false") == [in_kes["id"]]

    async def test_q_takes_wildcards_literally(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        marker = uuid.uuid4().hex[:8]
        literal = await catalog.create_product(code=f"{marker}_%")
        await catalog.create_product(code=f"{marker}ab")
        response = await api.get(PRODUCTS, headers=tokens.admin(), params={"q": f"{marker}_%"})
        assert [item["id"] for item in response.json()["data"]] == [literal["id"]]

    async def test_list_pagination(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        marker = uuid.uuid4().hex[:8]
        codes = [f"{marker}-{index}" for index in range(3)]
        for code in codes:
            await catalog.create_product(code=code)
        response = await api.get(
            PRODUCTS, headers=tokens.admin(), params={"q": marker, "page": 2, "limit": 2}
        )
        body = response.json()
        assert [item["code"] for item in body["data"]] == codes[2:]
        assert body["pagination"] == {
            "page": 2,
            "per_page": 2,
            "total": 3,
            "pages": 2,
            "has_next": False,
            "has_prev": True,
            "next_cursor": None,
        }

    async def test_bad_currency_filter_is_422(self, api: httpx.AsyncClient, tokens: Tokens) -> None:
        response = await api.get(PRODUCTS, headers=tokens.admin(), params={"currency": "XXX1"})
        assert response.status_code == 422


class TestUpdate:
    async def test_partial_update(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        tax_rate = await catalog.create_tax_rate()
        created = await catalog.create_product(
            name="Old", description="Keep me", tax_rate_id=tax_rate["id"]
        )
        path = f"{PRODUCTS}/{created['id']}"
        renamed = await api.patch(
            path, headers=tokens.admin(), json={"name": "New", "unit_price": "11"}
        )
        assert renamed.status_code == 200
        data = renamed.json()["data"]
        assert data["name"] == "New"
        assert data["unit_price"] == "11.00"
        assert data["description"] == "Keep me"
        assert data["code"] == created["code"]
        assert data["tax_rate_id"] == tax_rate["id"]

        cleared = await api.patch(
            path, headers=tokens.admin(), json={"description": None, "tax_rate_id": None}
        )
        assert cleared.json()["data"]["description"] is None
        assert cleared.json()["data"]["tax_rate_id"] is None

    async def test_code_change_through_sku(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        created = await catalog.create_product()
        new_code = unique_code()
        response = await api.patch(
            f"{PRODUCTS}/{created['id']}", headers=tokens.admin(), json={"sku": new_code}
        )
        assert response.status_code == 200
        assert response.json()["data"]["code"] == new_code
        assert response.json()["data"]["sku"] == new_code

    async def test_taking_another_code_is_409(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        first = await catalog.create_product()
        second = await catalog.create_product()
        response = await api.patch(
            f"{PRODUCTS}/{second['id']}", headers=tokens.admin(), json={"code": first["code"]}
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "product_code_taken"
        unchanged = await api.get(f"{PRODUCTS}/{second['id']}", headers=tokens.admin())
        assert unchanged.json()["data"]["code"] == second["code"]

    async def test_tax_rate_checks(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        created = await catalog.create_product()
        inactive = await catalog.create_tax_rate(active=False)
        path = f"{PRODUCTS}/{created['id']}"
        unknown = await api.patch(
            path, headers=tokens.admin(), json={"tax_rate_id": str(uuid.uuid4())}
        )
        assert unknown.status_code == 400
        assert unknown.json()["error"]["code"] == "tax_rate_not_found"
        refused = await api.patch(
            path, headers=tokens.admin(), json={"tax_rate_id": inactive["id"]}
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "tax_rate_inactive"

    async def test_unknown_is_404(self, api: httpx.AsyncClient, tokens: Tokens) -> None:
        response = await api.patch(
            f"{PRODUCTS}/{uuid.uuid4()}", headers=tokens.admin(), json={"name": "x"}
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "product_not_found"


class TestDelete:
    async def test_delete(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        created = await catalog.create_product()
        path = f"{PRODUCTS}/{created['id']}"
        response = await api.delete(path, headers=tokens.admin())
        assert response.status_code == 200
        assert response.json()["data"] == {"id": created["id"], "deleted": True}
        assert (await api.get(path, headers=tokens.admin())).status_code == 404
        # The code is free again.
        again = await catalog.create_product(code=created["code"])
        assert again["id"] != created["id"]

    async def test_unknown_is_404(self, api: httpx.AsyncClient, tokens: Tokens) -> None:
        response = await api.delete(f"{PRODUCTS}/{uuid.uuid4()}", headers=tokens.admin())
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "product_not_found"


class TestAccess:
    async def test_without_credentials_is_401(self, api: httpx.AsyncClient) -> None:
        assert (await api.get(PRODUCTS)).status_code == 401
        assert (await api.delete(f"{PRODUCTS}/{uuid.uuid4()}")).status_code == 401

    async def test_reseller_reads_but_cannot_write(
        self,
        api: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        catalog: CatalogFactory,
    ) -> None:
        reseller = await factory.create_reseller()
        headers = tokens.reseller(reseller["id"])
        created = await catalog.create_product()
        path = f"{PRODUCTS}/{created['id']}"
        assert (await api.get(PRODUCTS, headers=headers)).status_code == 200
        assert (await api.get(path, headers=headers)).json()["data"] == created
        writes = [
            await api.post(
                PRODUCTS,
                headers=headers,
                json={"code": unique_code(), "name": "x", "unit_price": "1", "currency": "EUR"},
            ),
            await api.patch(path, headers=headers, json={"unit_price": "0"}),
            await api.delete(path, headers=headers),
        ]
        for response in writes:
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "forbidden"
        assert (await api.get(path, headers=tokens.admin())).json()["data"] == created

    async def test_tenant_users_are_403(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        response = await api.get(PRODUCTS, headers=tokens.owner(tenant["id"]))
        assert response.status_code == 403
