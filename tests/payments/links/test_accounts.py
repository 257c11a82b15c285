"""Payment accounts: admin CRUD, validation, and what resellers and tenants may do."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

from .conftest import ADMIN, API, Merchant, body_for, create_account, unique

ACCOUNTS = f"{ADMIN}/payment-accounts"


async def test_create_read_update_list_delete(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    identifier = unique("RWF-MAIN")
    created = await create_account(
        factory,
        identifier=identifier,
        name="Rwanda collections",
        currency="rwf",
        accepted_methods=["card", "BANK", "mpesa"],
    )
    assert created["identifier"] == identifier
    assert created["currency"] == "RWF"
    assert created["accepted_methods"] == ["stripe", "bank", "mpesa"]
    assert created["active"] is True
    got = await client.get(f"{ACCOUNTS}/{created['id']}", headers=tokens.admin())
    assert got.json()["data"] == created
    changed = await client.patch(
        f"{ACCOUNTS}/{created['id']}",
        json={"name": "Rwanda", "accepted_methods": ["bank"], "active": False},
        headers=tokens.admin(),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["accepted_methods"] == ["bank"]
    assert changed.json()["data"]["identifier"] == identifier
    listed = await client.get(
        ACCOUNTS, params={"active": "false", "per_page": 500}, headers=tokens.admin()
    )
    assert created["id"] in {account["id"] for account in listed.json()["data"]}
    deleted = await client.delete(f"{ACCOUNTS}/{created['id']}", headers=tokens.admin())
    assert deleted.status_code == 200
    assert deleted.json()["data"] == {"id": created["id"], "deleted": True}
    gone = await client.get(f"{ACCOUNTS}/{created['id']}", headers=tokens.admin())
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "payment_account_not_found"


async def test_validation(client: httpx.AsyncClient, tokens: Tokens, factory: Factory) -> None:
    taken = await create_account(factory)
    for body, status, code in (
        ({**_valid(), "identifier": taken["identifier"]}, 409, "payment_account_identifier_taken"),
        ({**_valid(), "currency": "XXX1"}, 422, "validation_error"),
        ({**_valid(), "accepted_methods": []}, 422, "validation_error"),
        ({**_valid(), "accepted_methods": ["bitcoin"]}, 422, "validation_error"),
        ({**_valid(), "accepted_methods": ["bank", "bank"]}, 422, "validation_error"),
        ({**_valid(), "identifier": "has space"}, 422, "validation_error"),
        ({**_valid(), "identifier": "NUL\x00"}, 422, "validation_error"),
        ({**_valid(), "name": ""}, 422, "validation_error"),
        ({**_valid(), "name": "Main\x00"}, 422, "validation_error"),
    ):
        response = await client.post(ACCOUNTS, json=body, headers=tokens.admin())
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["code"] == code
    other = await create_account(factory)
    clash = await client.patch(
        f"{ACCOUNTS}/{other['id']}",
        json={"identifier": taken["identifier"]},
        headers=tokens.admin(),
    )
    assert clash.status_code == 409


async def test_an_account_with_invoices_is_deactivated_not_deleted(
    client: httpx.AsyncClient,
    tokens: Tokens,
    operator: Merchant,
    tenant: Any,
    product: Any,
    account: Any,
) -> None:
    response = await client.post(
        API, json=body_for(tenant, product, account), headers=operator.headers()
    )
    assert response.status_code == 201
    refused = await client.delete(f"{ACCOUNTS}/{account['id']}", headers=tokens.admin())
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "payment_account_in_use"
    still = await client.get(f"{ACCOUNTS}/{account['id']}", headers=tokens.admin())
    assert still.status_code == 200


async def test_who_may(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
) -> None:
    account = await create_account(factory)
    reseller = await factory.create_reseller()
    as_reseller = tokens.reseller(uuid.UUID(reseller["id"]))
    assert (await client.get(ACCOUNTS, headers=as_reseller)).status_code == 200
    assert (await client.post(ACCOUNTS, json=_valid(), headers=as_reseller)).status_code == 403
    patched = await client.patch(
        f"{ACCOUNTS}/{account['id']}", json={"name": "x"}, headers=as_reseller
    )
    assert patched.status_code == 403
    deleted = await client.delete(f"{ACCOUNTS}/{account['id']}", headers=as_reseller)
    assert deleted.status_code == 403
    owner = tokens.owner(uuid.UUID(tenant["id"]))
    assert (await client.get(ACCOUNTS, headers=owner)).status_code == 403
    assert (await client.get(ACCOUNTS)).status_code == 401
    missing = await client.get(f"{ACCOUNTS}/{uuid.uuid4()}", headers=tokens.admin())
    assert missing.status_code == 404


def _valid() -> dict[str, Any]:
    return {
        "identifier": unique("ACC"),
        "name": "Account",
        "currency": "KES",
        "accepted_methods": ["mpesa"],
    }


async def test_the_spec_says_each_method_is_listed_once(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    created = schemas["PaymentAccountCreate"]["properties"]["accepted_methods"]
    # On the optional field the keyword sits beside anyOf; it applies to the array option.
    updated = schemas["PaymentAccountUpdate"]["properties"]["accepted_methods"]
    assert created["uniqueItems"] is True
    assert updated["uniqueItems"] is True
    assert {option.get("type") for option in updated["anyOf"]} == {"array", "null"}
