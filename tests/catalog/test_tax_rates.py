"""Tax rates over HTTP: CRUD, the EN 16931 category rules and who may do what."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.catalog.conftest import PRODUCTS, TAX_RATES, CatalogFactory
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory


class TestCreate:
    async def test_standard_rate(self, api: httpx.AsyncClient, tokens: Tokens) -> None:
        response = await api.post(
            TAX_RATES,
            headers=tokens.admin(),
            json={"name": "Kenya VAT", "rate": "16", "category": "S", "country_code": "ke"},
        )
        assert response.status_code == 201
        data = response.json()["data"]
        assert data["rate"] == "16.00"
        assert data["category"] == "S"
        assert data["country_code"] == "KE"
        assert data["active"] is True
        assert data["exemption_reason_code"] is None
        assert set(response.json()) == {"data", "meta"}

    async def test_rate_keeps_significant_decimals(
        self, catalog: CatalogFactory, api: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        created = await catalog.create_tax_rate(rate=7.75)
        assert created["rate"] == "7.75"
        reduced = await catalog.create_tax_rate(rate="5.5")
        assert reduced["rate"] == "5.50"
        fine = await catalog.create_tax_rate(rate="8.1234")
        assert fine["rate"] == "8.1234"

    async def test_exempt_rate_with_vatex_code(self, catalog: CatalogFactory) -> None:
        created = await catalog.create_tax_rate(
            rate="0", category="K", exemption_reason_code="vatex-eu-ic"
        )
        assert created["category"] == "K"
        assert created["rate"] == "0.00"
        assert created["exemption_reason_code"] == "VATEX-EU-IC"

    async def test_exempt_rate_with_reason_text(self, catalog: CatalogFactory) -> None:
        created = await catalog.create_tax_rate(
            rate="0", category="E", exemption_reason="Exempt under Article 132(1)(i)"
        )
        assert created["exemption_reason"] == "Exempt under Article 132(1)(i)"
        assert created["exemption_reason_code"] is None

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"category": "S", "rate": "0"}, "Category S (standard rate) needs a rate above 0"),
            ({"category": "Z", "rate": "16"}, "Category Z (zero rated) must have rate 0"),
            (
                {"category": "AE", "rate": "19", "exemption_reason_code": "VATEX-EU-AE"},
                "Category AE (reverse charge) must have rate 0",
            ),
            ({"category": "E", "rate": "0"}, "Category E (exempt) needs an exemption reason"),
            ({"category": "AE", "rate": "0"}, "e.g. 'VATEX-EU-AE'"),
            ({"category": "K", "rate": "0"}, "e.g. 'VATEX-EU-IC'"),
            ({"category": "G", "rate": "0"}, "Category G (export outside the EU) needs"),
            ({"category": "O", "rate": "0"}, "Category O (outside the scope of VAT) needs"),
            (
                {"category": "S", "rate": "16", "exemption_reason": "none"},
                "Category S (standard rate) must not carry an exemption reason",
            ),
            (
                {"category": "Z", "rate": "0", "exemption_reason_code": "VATEX-EU-O"},
                "Category Z (zero rated) must not carry an exemption reason",
            ),
        ],
    )
    async def test_category_rules(
        self, api: httpx.AsyncClient, tokens: Tokens, fields: dict[str, Any], message: str
    ) -> None:
        response = await api.post(
            TAX_RATES, headers=tokens.admin(), json={"name": "Invalid", **fields}
        )
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "tax_rate_invalid"
        assert message in error["message"]

    @pytest.mark.parametrize(
        ("fields", "field", "message"),
        [
            ({"rate": "100.5"}, "rate", "less than or equal to 100"),
            ({"rate": "-1"}, "rate", "greater than or equal to 0"),
            ({"rate": "16.12345"}, "rate", "decimal places"),
            ({"rate": "sixteen"}, "rate", "decimal number"),
            ({"category": "X"}, "category", "'S', 'Z', 'E', 'AE', 'K', 'G' or 'O'"),
            ({"country_code": "Germany"}, "country_code", "ISO 3166-1 alpha-2"),
            (
                {"category": "E", "rate": "0", "exemption_reason_code": "Article 132"},
                "exemption_reason_code",
                "VATEX exemption reason code",
            ),
            ({"name": ""}, "name", "at least 1 character"),
            ({"surprise": True}, "surprise", "Extra inputs are not permitted"),
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
        body = {"name": "VAT", "rate": "16", "category": "S", **fields}
        response = await api.post(TAX_RATES, headers=tokens.admin(), json=body)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        details = {detail["field"]: detail["message"] for detail in error["details"]}
        assert message in details[field]


class TestRead:
    async def test_get(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        created = await catalog.create_tax_rate(name="Reduced", rate="8")
        response = await api.get(f"{TAX_RATES}/{created['id']}", headers=tokens.admin())
        assert response.status_code == 200
        assert response.json()["data"] == created

    async def test_get_unknown_is_404(self, api: httpx.AsyncClient, tokens: Tokens) -> None:
        response = await api.get(f"{TAX_RATES}/{uuid.uuid4()}", headers=tokens.admin())
        assert response.status_code == 404
        assert response.json()["error"] == {
            "code": "tax_rate_not_found",
            "message": "Tax rate not found.",
            "details": [],
        }

    async def test_malformed_id_is_422(self, api: httpx.AsyncClient, tokens: Tokens) -> None:
        response = await api.get(f"{TAX_RATES}/not-a-uuid", headers=tokens.admin())
        assert response.status_code == 422

    async def test_list_filters(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        standard = await catalog.create_tax_rate(country_code="LU", rate="17")
        inactive = await catalog.create_tax_rate(country_code="LU", rate="14", active=False)
        exempt = await catalog.create_tax_rate(
            country_code="LU", rate="0", category="E", exemption_reason_code="VATEX-EU-132-1A"
        )
        elsewhere = await catalog.create_tax_rate(country_code="MT", rate="18")

        async def listed(**params: Any) -> list[str]:
            response = await api.get(
                TAX_RATES, headers=tokens.admin(), params={"per_page": 500, **params}
            )
            assert response.status_code == 200
            return [item["id"] for item in response.json()["data"]]

        in_lu = await listed(country_code="lu")
        assert {standard["id"], inactive["id"], exempt["id"]} <= set(in_lu)
        assert elsewhere["id"] not in in_lu
        # Within a country: category, then the higher rate first.
        assert in_lu.index(exempt["id"]) < in_lu.index(standard["id"])
        assert in_lu.index(standard["id"]) < in_lu.index(inactive["id"])

        active_lu = await listed(country_code="LU", active="true")
        assert inactive["id"] not in active_lu
        assert standard["id"] in active_lu
        inactive_lu = await listed(country_code="LU", active="false")
        assert inactive["id"] in inactive_lu
        assert standard["id"] not in inactive_lu
        exempt_lu = await listed(country_code="LU", category="E")
        assert exempt["id"] in exempt_lu
        assert standard["id"] not in exempt_lu

    async def test_list_pagination(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        for rate in ("21", "12", "6"):
            await catalog.create_tax_rate(country_code="BE", rate=rate)
        response = await api.get(
            TAX_RATES,
            headers=tokens.admin(),
            params={"country_code": "BE", "page": 2, "page_size": 2},
        )
        body = response.json()
        assert set(body) == {"data", "pagination", "meta"}
        assert body["pagination"]["page"] == 2
        assert body["pagination"]["per_page"] == 2
        assert body["pagination"]["total"] >= 3
        assert body["pagination"]["has_prev"] is True

    async def test_list_rejects_bad_filters(self, api: httpx.AsyncClient, tokens: Tokens) -> None:
        for params in ({"category": "Q"}, {"country_code": "Luxembourg"}, {"active": "maybe"}):
            response = await api.get(TAX_RATES, headers=tokens.admin(), params=params)
            assert response.status_code == 422, params
            assert response.json()["error"]["code"] == "validation_error"


class TestUpdate:
    async def test_partial_update_keeps_other_fields(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        created = await catalog.create_tax_rate(name="Old", rate="19", country_code="DE")
        response = await api.patch(
            f"{TAX_RATES}/{created['id']}", headers=tokens.admin(), json={"name": "New"}
        )
        assert response.status_code == 200
        data = response.json()["data"]
        assert data["name"] == "New"
        assert data["rate"] == "19.00"
        assert data["country_code"] == "DE"
        assert data["updated_at"] >= created["updated_at"]

    async def test_rules_apply_to_the_merged_rate(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        created = await catalog.create_tax_rate(rate="19")
        path = f"{TAX_RATES}/{created['id']}"
        refused = await api.patch(path, headers=tokens.admin(), json={"category": "AE"})
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "tax_rate_invalid"
        assert "must have rate 0" in refused.json()["error"]["message"]

        switched = await api.patch(
            path,
            headers=tokens.admin(),
            json={"category": "AE", "rate": "0", "exemption_reason_code": "VATEX-EU-AE"},
        )
        assert switched.status_code == 200
        assert switched.json()["data"]["category"] == "AE"

        # Back to standard: the reason must be cleared explicitly.
        still_has_reason = await api.patch(
            path, headers=tokens.admin(), json={"category": "S", "rate": "19"}
        )
        assert still_has_reason.status_code == 422
        assert "must not carry an exemption reason" in still_has_reason.json()["error"]["message"]
        back = await api.patch(
            path,
            headers=tokens.admin(),
            json={"category": "S", "rate": "19", "exemption_reason_code": None},
        )
        assert back.status_code == 200
        assert back.json()["data"]["exemption_reason_code"] is None

    async def test_null_on_a_required_field_keeps_it(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        created = await catalog.create_tax_rate(name="Keep")
        response = await api.patch(
            f"{TAX_RATES}/{created['id']}",
            headers=tokens.admin(),
            json={"name": None, "active": False},
        )
        assert response.status_code == 200
        assert response.json()["data"]["name"] == "Keep"
        assert response.json()["data"]["active"] is False

    async def test_unknown_is_404(self, api: httpx.AsyncClient, tokens: Tokens) -> None:
        response = await api.patch(
            f"{TAX_RATES}/{uuid.uuid4()}", headers=tokens.admin(), json={"name": "x"}
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "tax_rate_not_found"


class TestDelete:
    async def test_delete(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        created = await catalog.create_tax_rate()
        path = f"{TAX_RATES}/{created['id']}"
        response = await api.delete(path, headers=tokens.admin())
        assert response.status_code == 200
        assert response.json()["data"] == {"id": created["id"], "deleted": True}
        assert (await api.get(path, headers=tokens.admin())).status_code == 404
        again = await api.delete(path, headers=tokens.admin())
        assert again.status_code == 404
        assert again.json()["error"]["code"] == "tax_rate_not_found"

    async def test_rate_in_use_is_409(
        self, api: httpx.AsyncClient, tokens: Tokens, catalog: CatalogFactory
    ) -> None:
        created = await catalog.create_tax_rate()
        product = await catalog.create_product(tax_rate_id=created["id"])
        path = f"{TAX_RATES}/{created['id']}"
        response = await api.delete(path, headers=tokens.admin())
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "tax_rate_in_use"
        assert "1 product(s) use this tax rate" in error["message"]
        assert (await api.get(path, headers=tokens.admin())).status_code == 200

        await api.delete(f"{PRODUCTS}/{product['id']}", headers=tokens.admin())
        assert (await api.delete(path, headers=tokens.admin())).status_code == 200


class TestAccess:
    async def test_without_credentials_is_401(self, api: httpx.AsyncClient) -> None:
        assert (await api.get(TAX_RATES)).status_code == 401
        response = await api.post(TAX_RATES, json={"name": "x", "rate": "1", "category": "S"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"

    async def test_reseller_reads_but_cannot_write(
        self,
        api: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        catalog: CatalogFactory,
    ) -> None:
        reseller = await factory.create_reseller()
        headers = tokens.reseller(reseller["id"])
        created = await catalog.create_tax_rate()
        path = f"{TAX_RATES}/{created['id']}"

        assert (await api.get(TAX_RATES, headers=headers)).status_code == 200
        assert (await api.get(path, headers=headers)).json()["data"]["id"] == created["id"]

        writes = [
            await api.post(
                TAX_RATES, headers=headers, json={"name": "x", "rate": "1", "category": "S"}
            ),
            await api.patch(path, headers=headers, json={"name": "taken over"}),
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
        for headers in (tokens.owner(tenant["id"]), tokens.member(tenant["id"])):
            response = await api.get(TAX_RATES, headers=headers)
            assert response.status_code == 403
