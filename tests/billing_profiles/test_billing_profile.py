"""Billing profiles over HTTP: create-or-merge, validation, roles and tenant isolation."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.billing_profiles.conftest import OWN_PROFILE, tenant_profile
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

FULL_PROFILE: dict[str, Any] = {
    "company_name": "Muster GmbH",
    "address_line1": "Hauptstrasse 1",
    "address_line2": "Hinterhaus",
    "postal_code": "10115",
    "city": "Berlin",
    "state": "Berlin",
    "country_code": "DE",
    "vat_id": "DE123456789",
    "tax_id": "12/345/67890",
    "legal_registration_id": "HRB 12345",
    "billing_email": "billing@muster.example",
    "contact_name": "Erika Mustermann",
    "phone": "+49 30 1234567",
    "buyer_reference": "04011000-12345-34",
    "peppol_endpoint_id": "DE123456789",
    "peppol_scheme": "9930",
    "purchase_order_reference": "PO-2026-17",
    "preferred_einvoice_format": "xrechnung",
    "attach_einvoice_to_email": True,
    "language": "de",
    "currency": "EUR",
}


class TestOwnProfile:
    async def test_null_before_the_first_put(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        for headers in (tokens.owner(tenant["id"]), tokens.member(tenant["id"])):
            response = await api.get(OWN_PROFILE, headers=headers)
            assert response.status_code == 200
            body = response.json()
            assert body["data"] is None
            assert body["meta"]["request_id"]

    async def test_put_creates_every_field(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        headers = tokens.owner(tenant["id"])
        response = await api.put(OWN_PROFILE, headers=headers, json=FULL_PROFILE)
        assert response.status_code == 200
        data = response.json()["data"]
        assert data["tenant_id"] == tenant["id"]
        for field, value in FULL_PROFILE.items():
            assert data[field] == value, field
        assert data["created_at"]
        fetched = await api.get(OWN_PROFILE, headers=headers)
        assert fetched.json()["data"] == data

    async def test_put_merges(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        headers = tokens.owner(tenant["id"])
        first = await api.put(
            OWN_PROFILE,
            headers=headers,
            json={"company_name": "Acme Ltd", "city": "Nairobi", "phone": "+254 712 345 678"},
        )
        assert first.status_code == 200
        assert first.json()["data"]["attach_einvoice_to_email"] is False

        merged = await api.put(
            OWN_PROFILE, headers=headers, json={"city": "Mombasa", "phone": None, "state": ""}
        )
        assert merged.status_code == 200
        data = merged.json()["data"]
        assert data["company_name"] == "Acme Ltd"  # left out: kept
        assert data["city"] == "Mombasa"  # sent: replaced
        assert data["phone"] is None  # null: cleared
        assert data["state"] is None  # blank: cleared
        assert data["updated_at"] >= first.json()["data"]["updated_at"]
        assert data["created_at"] == first.json()["data"]["created_at"]

        unchanged = await api.put(OWN_PROFILE, headers=headers, json={})
        assert unchanged.status_code == 200
        assert unchanged.json()["data"] == data

    async def test_attach_flag_null_resets_to_false(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        headers = tokens.owner(tenant["id"])
        on = await api.put(OWN_PROFILE, headers=headers, json={"attach_einvoice_to_email": True})
        assert on.json()["data"]["attach_einvoice_to_email"] is True
        off = await api.put(OWN_PROFILE, headers=headers, json={"attach_einvoice_to_email": None})
        assert off.json()["data"]["attach_einvoice_to_email"] is False

    async def test_normalisation(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        response = await api.put(
            OWN_PROFILE,
            headers=tokens.owner(tenant["id"]),
            json={
                "vat_id": " de 123.456-789 ",
                "country_code": "ke",
                "language": "SW",
                "currency": "kes",
                "company_name": "  Padded  ",
            },
        )
        assert response.status_code == 200
        data = response.json()["data"]
        assert data["vat_id"] == "DE123456789"
        assert data["country_code"] == "KE"
        assert data["language"] == "sw"
        assert data["currency"] == "KES"
        assert data["company_name"] == "Padded"

    async def test_member_cannot_put(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        response = await api.put(
            OWN_PROFILE, headers=tokens.member(tenant["id"]), json={"city": "Kigali"}
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
        assert (await api.get(OWN_PROFILE, headers=tokens.owner(tenant["id"]))).json()[
            "data"
        ] is None

    async def test_member_reads_what_the_owner_saved(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        saved = await api.put(
            OWN_PROFILE, headers=tokens.owner(tenant["id"]), json={"city": "Kigali"}
        )
        read = await api.get(OWN_PROFILE, headers=tokens.member(tenant["id"]))
        assert read.json()["data"] == saved.json()["data"]

    async def test_concurrent_merges_all_land(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        headers = tokens.owner(tenant["id"])
        changes = [
            {"company_name": "Race Ltd"},
            {"city": "Kisumu"},
            {"postal_code": "40100"},
            {"contact_name": "Achieng"},
            {"buyer_reference": "REF-1"},
        ]
        responses = await asyncio.gather(
            *(api.put(OWN_PROFILE, headers=headers, json=change) for change in changes)
        )
        assert [response.status_code for response in responses] == [200] * len(changes)
        data = (await api.get(OWN_PROFILE, headers=headers)).json()["data"]
        for change in changes:
            for field, value in change.items():
                assert data[field] == value

    async def test_staff_use_the_admin_route(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        reseller = await factory.create_reseller()
        for headers in (tokens.admin(), tokens.reseller(reseller["id"])):
            assert (await api.get(OWN_PROFILE, headers=headers)).status_code == 403
            response = await api.put(OWN_PROFILE, headers=headers, json={"city": "x"})
            assert response.status_code == 403

    async def test_without_credentials_is_401(self, api: httpx.AsyncClient) -> None:
        assert (await api.get(OWN_PROFILE)).status_code == 401
        response = await api.put(OWN_PROFILE, json={"city": "x"})
        assert response.status_code == 401

    async def test_token_for_an_unknown_tenant_is_404(
        self, api: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        headers = tokens.owner(uuid.uuid4())
        for response in (
            await api.get(OWN_PROFILE, headers=headers),
            await api.put(OWN_PROFILE, headers=headers, json={"city": "x"}),
        ):
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "tenant_not_found"


class TestValidation:
    @pytest.mark.parametrize(
        ("fields", "field", "message"),
        [
            ({"country_code": "Deutschland"}, "country_code", "ISO 3166-1 alpha-2"),
            ({"billing_email": "not-an-email"}, "billing_email", "valid email address"),
            ({"peppol_scheme": "1234"}, "peppol_scheme", "EAS code from the CEF list"),
            ({"vat_id": "123456789"}, "vat_id", "two-letter country prefix"),
            ({"vat_id": "DE1"}, "vat_id", "followed by 2 to 13 letters or digits"),
            ({"vat_id": "NL" + "1" * 14}, "vat_id", "two-letter country prefix"),
            ({"language": "english"}, "language", "ISO 639-1"),
            ({"language": "xx"}, "language", "ISO 639-1"),
            ({"currency": "EURO"}, "currency", "ISO 4217"),
            ({"preferred_einvoice_format": "docx"}, "preferred_einvoice_format", "'facturx'"),
            ({"phone": "call me"}, "phone", "phone number"),
            ({"postal_code": "1" * 21}, "postal_code", "at most 20 characters"),
            ({"attach_einvoice_to_email": "sometimes"}, "attach_einvoice_to_email", "boolean"),
            ({"tenant_id": str(uuid.uuid4())}, "tenant_id", "Extra inputs are not permitted"),
        ],
    )
    async def test_field_errors(
        self,
        api: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        fields: dict[str, Any],
        field: str,
        message: str,
    ) -> None:
        tenant = await factory.create_tenant()
        response = await api.put(OWN_PROFILE, headers=tokens.owner(tenant["id"]), json=fields)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        details = {detail["field"]: detail["message"] for detail in error["details"]}
        assert message in details[field], details
        assert field in error["message"]

    async def test_peppol_endpoint_and_scheme_go_together(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        headers = tokens.owner(tenant["id"])
        alone = await api.put(
            OWN_PROFILE, headers=headers, json={"peppol_endpoint_id": "0192:123456789"}
        )
        assert alone.status_code == 422
        assert alone.json()["error"]["code"] == "billing_profile_invalid"
        assert "peppol_endpoint_id needs peppol_scheme" in alone.json()["error"]["message"]
        # Refused writes leave nothing behind.
        assert (await api.get(OWN_PROFILE, headers=headers)).json()["data"] is None

        both = await api.put(
            OWN_PROFILE,
            headers=headers,
            json={"peppol_endpoint_id": "123456789", "peppol_scheme": "0192", "city": "Oslo"},
        )
        assert both.status_code == 200

        half_cleared = await api.put(
            OWN_PROFILE, headers=headers, json={"peppol_scheme": None, "city": "Bergen"}
        )
        assert half_cleared.status_code == 422
        assert "peppol_endpoint_id needs peppol_scheme" in half_cleared.json()["error"]["message"]
        kept = (await api.get(OWN_PROFILE, headers=headers)).json()["data"]
        assert kept["peppol_scheme"] == "0192"
        assert kept["city"] == "Oslo"

        scheme_only = await api.put(OWN_PROFILE, headers=headers, json={"peppol_endpoint_id": None})
        assert scheme_only.status_code == 422
        assert "peppol_scheme needs peppol_endpoint_id" in scheme_only.json()["error"]["message"]

        cleared = await api.put(
            OWN_PROFILE,
            headers=headers,
            json={"peppol_endpoint_id": None, "peppol_scheme": None},
        )
        assert cleared.status_code == 200
        assert cleared.json()["data"]["peppol_scheme"] is None


class TestIsolation:
    async def test_tenants_see_only_their_own_profile(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant_a = await factory.create_tenant()
        tenant_b = await factory.create_tenant()
        saved = await api.put(
            OWN_PROFILE, headers=tokens.owner(tenant_a["id"]), json={"company_name": "A Ltd"}
        )
        assert saved.status_code == 200

        seen_by_b = await api.get(OWN_PROFILE, headers=tokens.owner(tenant_b["id"]))
        assert seen_by_b.json()["data"] is None
        written_by_b = await api.put(
            OWN_PROFILE, headers=tokens.owner(tenant_b["id"]), json={"company_name": "B Ltd"}
        )
        assert written_by_b.json()["data"]["tenant_id"] == tenant_b["id"]

        seen_by_a = await api.get(OWN_PROFILE, headers=tokens.member(tenant_a["id"]))
        assert seen_by_a.json()["data"]["company_name"] == "A Ltd"
        assert seen_by_a.json()["data"]["tenant_id"] == tenant_a["id"]

    async def test_tenant_tokens_cannot_use_the_admin_route(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant_a = await factory.create_tenant()
        tenant_b = await factory.create_tenant()
        headers = tokens.owner(tenant_a["id"])
        for tenant in (tenant_a, tenant_b):
            path = tenant_profile(tenant["id"])
            assert (await api.get(path, headers=headers)).status_code == 403
            assert (await api.put(path, headers=headers, json={"city": "x"})).status_code == 403


class TestAdminRoutes:
    async def test_admin_reads_and_merges(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        path = tenant_profile(tenant["id"])
        before = await api.get(path, headers=tokens.admin())
        assert before.status_code == 200
        assert before.json()["data"] is None

        await api.put(OWN_PROFILE, headers=tokens.owner(tenant["id"]), json={"city": "Kigali"})
        merged = await api.put(
            path, headers=tokens.admin(), json={"company_name": "Staff Edit", "language": "rw"}
        )
        assert merged.status_code == 200
        data = merged.json()["data"]
        assert data["city"] == "Kigali"
        assert data["company_name"] == "Staff Edit"
        assert data["language"] == "rw"
        own = await api.get(OWN_PROFILE, headers=tokens.member(tenant["id"]))
        assert own.json()["data"] == data
        assert (await api.get(path, headers=tokens.admin())).json()["data"] == data

    async def test_admin_put_is_validated(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        path = tenant_profile(tenant["id"])
        invalid = await api.put(path, headers=tokens.admin(), json={"peppol_scheme": "0088"})
        assert invalid.status_code == 422
        assert invalid.json()["error"]["code"] == "billing_profile_invalid"
        bad_email = await api.put(path, headers=tokens.admin(), json={"billing_email": "x@"})
        assert bad_email.status_code == 422
        assert bad_email.json()["error"]["code"] == "validation_error"

    async def test_unknown_tenant_is_404(self, api: httpx.AsyncClient, tokens: Tokens) -> None:
        path = tenant_profile(str(uuid.uuid4()))
        for response in (
            await api.get(path, headers=tokens.admin()),
            await api.put(path, headers=tokens.admin(), json={"city": "x"}),
        ):
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "tenant_not_found"

    async def test_reseller_scope(
        self, api: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        parent = await factory.create_reseller()
        child = await factory.create_reseller(parent_id=parent["id"])
        other = await factory.create_reseller()
        nested = await factory.create_tenant(reseller_id=child["id"])
        foreign = await factory.create_tenant(reseller_id=other["id"])
        await api.put(
            tenant_profile(foreign["id"]), headers=tokens.admin(), json={"city": "Secret"}
        )
        headers = tokens.reseller(parent["id"])

        own = await api.put(tenant_profile(nested["id"]), headers=headers, json={"city": "Arusha"})
        assert own.status_code == 200
        read = await api.get(tenant_profile(nested["id"]), headers=headers)
        assert read.json()["data"]["city"] == "Arusha"

        for response in (
            await api.get(tenant_profile(foreign["id"]), headers=headers),
            await api.put(tenant_profile(foreign["id"]), headers=headers, json={"city": "Stolen"}),
        ):
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "tenant_not_found"
            assert "Secret" not in response.text
        still = await api.get(tenant_profile(foreign["id"]), headers=tokens.admin())
        assert still.json()["data"]["city"] == "Secret"

    async def test_without_credentials_is_401(self, api: httpx.AsyncClient) -> None:
        response = await api.get(tenant_profile(str(uuid.uuid4())))
        assert response.status_code == 401
