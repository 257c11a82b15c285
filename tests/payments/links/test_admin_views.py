"""The operator's views of payment links stay within the staff member's scope."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

from .conftest import ADMIN, API, Merchant, body_for


async def test_resellers_see_their_subtree_only(
    client: httpx.AsyncClient,
    tokens: Tokens,
    factory: Factory,
    operator: Merchant,
    product: Any,
    account: Any,
) -> None:
    mine = await factory.create_reseller()
    theirs = await factory.create_reseller()
    my_tenant = await factory.create_tenant(reseller_id=uuid.UUID(mine["id"]), country_code="KE")
    their_tenant = await factory.create_tenant(
        reseller_id=uuid.UUID(theirs["id"]), country_code="KE"
    )
    created = {}
    for tenant in (my_tenant, their_tenant):
        response = await client.post(
            API, json=body_for(tenant, product, account), headers=operator.headers()
        )
        assert response.status_code == 201, response.text
        created[tenant["id"]] = response.json()["data"]["invoiceNumber"]
    as_reseller = tokens.reseller(uuid.UUID(mine["id"]))
    listed = await client.get(
        f"{ADMIN}/payment-links", params={"per_page": 500}, headers=as_reseller
    )
    assert listed.status_code == 200, listed.text
    numbers = {link["invoice_number"] for link in listed.json()["data"]}
    assert created[my_tenant["id"]] in numbers
    assert created[their_tenant["id"]] not in numbers
    asked = await client.get(
        f"{ADMIN}/payment-links",
        params={"tenant_id": their_tenant["id"]},
        headers=as_reseller,
    )
    assert asked.json()["data"] == []
    late = await client.get(f"{ADMIN}/payment-links/late-payments", headers=as_reseller)
    assert late.status_code == 200
    owner = tokens.owner(uuid.UUID(my_tenant["id"]))
    assert (await client.get(f"{ADMIN}/payment-links", headers=owner)).status_code == 403
    assert (await client.get(f"{ADMIN}/payment-links")).status_code == 401
