"""Seed 004's create-invoice contract: every field, every error code, the merchant namespaces
of transaction ids (also under concurrency), and that these invoices are real invoices."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.renderers.pdf_tools import page_texts

from .conftest import (
    ADMIN,
    API,
    Merchant,
    body_for,
    create_account,
    create_key,
    create_product,
    unique,
)


def errors_of(response: httpx.Response) -> list[str]:
    """The seed codes of an error answer, after checking its envelope."""
    body = response.json()
    assert body["success"] is False, body
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["meta"]["request_id"]
    assert "data" not in body
    assert "error" not in body
    for item in body["errors"]:
        assert set(item) == {"code", "detail"}
        assert item["detail"]
    return [item["code"] for item in body["errors"]]


async def create(client: httpx.AsyncClient, merchant: Merchant, body: dict[str, Any]) -> Any:
    response = await client.post(API, json=body, headers=merchant.headers())
    assert response.status_code == 201, response.text
    payload = response.json()
    assert payload["success"] is True
    assert payload["message"] == "Invoice created successfully"
    return payload["data"]


async def refused(
    client: httpx.AsyncClient, merchant: Merchant, body: Any, status: int = 400
) -> list[str]:
    response = await client.post(API, json=body, headers=merchant.headers())
    assert response.status_code == status, response.text
    return errors_of(response)


class TestCreate:
    async def test_every_field_of_the_seed(
        self,
        client: httpx.AsyncClient,
        factory: Factory,
        operator: Merchant,
        tenant: Any,
        account: Any,
    ) -> None:
        water = await create_product(factory, name="Water", unit_price="1500.00")
        meter = await create_product(factory, name="Meter rent", unit_price="250.50")
        expiry = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
        body = {
            "transactionId": unique("TX"),
            "paymentItems": [
                {"code": water["code"], "quantity": 2, "unitAmount": 1500},
                {"code": meter["code"], "quantity": 1, "unitAmount": "250.50"},
            ],
            "paymentAccountIdentifier": account["identifier"],
            "expiryAt": expiry.astimezone(datetime.now().astimezone().tzinfo).isoformat(),
            "description": "Water bill for November",
            "customer": {
                "email": "Jane.Doe@Example.com",
                "phoneNumber": 254712345678,
                "name": "Jane Doe",
            },
            "language": "FR",
            "tenantId": tenant["id"],
        }
        data = await create(client, operator, body)
        assert data["invoiceNumber"].startswith("INV-")
        assert data["transactionId"] == body["transactionId"]
        assert data["paymentAccountIdentifier"] == account["identifier"]
        assert data["paymentItems"] == [
            {"code": water["code"], "quantity": 2, "unitAmount": "1500.00"},
            {"code": meter["code"], "quantity": 1, "unitAmount": "250.50"},
        ]
        assert data["paymentStatus"] == "NEW"
        # Sum of unit amount x quantity; VAT (16 %) comes on top in totalAmount.
        assert data["amount"] == "3250.50"
        assert data["taxAmount"] == "520.08"
        assert data["totalAmount"] == "3770.58"
        assert data["amountDue"] == "3770.58"
        assert data["amountPaid"] == "0.00"
        assert data["currency"] == "KES"
        assert data["type"] == "SINGLE"
        created = datetime.fromisoformat(data["createdAt"])
        assert abs(created - datetime.now(UTC)) < timedelta(minutes=1)
        assert datetime.fromisoformat(data["updatedAt"]) >= created
        assert datetime.fromisoformat(data["expiryAt"]) == expiry
        assert data["customer"] == {
            "email": "Jane.Doe@example.com",
            "phoneNumber": "254712345678",
            "name": "Jane Doe",
        }
        assert data["description"] == "Water bill for November"
        link = urlsplit(data["paymentLinkUrl"])
        assert link.path.startswith("/api/v1/public/invoices/")
        assert len(link.path.rsplit("/", 1)[1]) == 16
        assert data["language"] == "FR"
        assert data["tenantId"] == tenant["id"]
        assert data["invoiceStatus"] == "issued"
        assert data["expired"] is False

    async def test_optional_fields_left_out(
        self,
        client: httpx.AsyncClient,
        operator: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        data = await create(client, operator, body_for(tenant, product, account))
        assert data["expiryAt"] is None
        assert data["customer"] is None
        assert data["description"] is None
        assert data["language"] == "EN"
        assert data["amount"] == "3000.00"

    async def test_the_account_fixes_the_currency(
        self,
        client: httpx.AsyncClient,
        factory: Factory,
        operator: Merchant,
        tenant: Any,
        product: Any,
    ) -> None:
        rwf = await create_account(factory, currency="RWF", accepted_methods=["bank"])
        data = await create(
            client,
            operator,
            body_for(
                tenant,
                product,
                rwf,
                paymentItems=[{"code": product["code"], "quantity": 3, "unitAmount": 1000}],
            ),
        )
        assert data["currency"] == "RWF"
        assert data["amount"] == "3000"
        assert data["paymentItems"][0]["unitAmount"] == "1000"

    async def test_the_largest_line_is_accepted(
        self,
        client: httpx.AsyncClient,
        operator: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        # The largest total any invoice may have is 999,999,999,999.99 (VAT of 16% included).
        items = [{"code": product["code"], "quantity": 1, "unitAmount": "862068965517.23"}]
        data = await create(
            client, operator, body_for(tenant, product, account, paymentItems=items)
        )
        assert data["amount"] == "862068965517.23"
        assert data["totalAmount"] == "999999999999.99"

    async def test_alias_header_and_api_version(
        self,
        client: httpx.AsyncClient,
        operator: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        response = await client.post(
            API, json=body_for(tenant, product, account), headers=operator.headers(alias=True)
        )
        assert response.status_code == 201, response.text
        both = {**operator.headers(), **operator.headers(alias=True)}
        response = await client.post(API, json=body_for(tenant, product, account), headers=both)
        assert response.status_code == 201, response.text
        version_three = {**operator.headers(), "X-API-Version": "3"}
        response = await client.post(
            API, json=body_for(tenant, product, account), headers=version_three
        )
        assert response.status_code == 400
        assert errors_of(response) == ["UNSUPPORTED_API_VERSION"]
        spec = (await client.get("/openapi.json")).json()
        header = next(
            parameter
            for parameter in spec["paths"]["/api/v1/payments/invoices"]["post"]["parameters"]
            if parameter["name"] == "X-API-Version"
        )
        assert header["schema"]["enum"] == ["2"]

    async def test_language_in_any_case(
        self,
        client: httpx.AsyncClient,
        operator: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        for given, shown in (("rw", "RW"), ("En", "EN"), (" fr ", "FR")):
            data = await create(
                client, operator, body_for(tenant, product, account, language=given)
            )
            assert data["language"] == shown

    async def test_idempotency_key_replays_the_first_answer(
        self,
        client: httpx.AsyncClient,
        operator: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        body = body_for(tenant, product, account)
        headers = {**operator.headers(), "Idempotency-Key": unique("idem")}
        first = await client.post(API, json=body, headers=headers)
        again = await client.post(API, json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.headers.get("idempotent-replayed") == "true"
        assert again.json()["data"]["invoiceNumber"] == first.json()["data"]["invoiceNumber"]
        other = await client.post(
            API, json={**body, "transactionId": unique("TX")}, headers=headers
        )
        assert other.status_code == 409
        assert errors_of(other) == ["IDEMPOTENCY_KEY_MISMATCH"]


class TestErrorCodes:
    @pytest.mark.parametrize(
        ("change", "code"),
        [
            ({"transactionId": None}, "TRANSACTION_ID_MISSING"),
            ({"transactionId": ""}, "TRANSACTION_ID_MISSING"),
            ({"transactionId": "   "}, "TRANSACTION_ID_MISSING"),
            ({"transactionId": 12345}, "TRANSACTION_ID_MISSING"),
            ({"transactionId": "x" * 101}, "TRANSACTION_ID_MISSING"),
            ({"paymentItems": None}, "PRODUCT_MISSING"),
            ({"paymentItems": []}, "PRODUCT_MISSING"),
            ({"paymentItems": "water"}, "BAD_PRODUCT"),
            ({"paymentItems": [{"quantity": 1, "unitAmount": 1}]}, "BAD_PRODUCT"),
            ({"paymentItems": [{"code": "W", "unitAmount": 1}]}, "BAD_PRODUCT"),
            ({"paymentItems": [{"code": "W", "quantity": 1}]}, "BAD_PRODUCT"),
            ({"paymentItems": [{"code": "W", "quantity": 0, "unitAmount": 1}]}, "BAD_PRODUCT"),
            ({"paymentItems": [{"code": "W", "quantity": 1.5, "unitAmount": 1}]}, "BAD_PRODUCT"),
            ({"paymentItems": [{"code": "W", "quantity": "2", "unitAmount": 1}]}, "BAD_PRODUCT"),
            ({"paymentItems": [{"code": "W", "quantity": 1, "unitAmount": -5}]}, "BAD_PRODUCT"),
            ({"paymentItems": [{"code": "W", "quantity": 1, "unitAmount": 0}]}, "BAD_PRODUCT"),
            ({"paymentItems": [{"code": "W", "quantity": 1, "unitAmount": True}]}, "BAD_PRODUCT"),
            ({"paymentItems": [{"code": "W", "quantity": 1, "unitAmount": "1e3"}]}, "BAD_PRODUCT"),
            (
                {"paymentItems": [{"code": "W", "quantity": 1, "unitAmount": "9" * 40}]},
                "BAD_PRODUCT",
            ),
            (
                {"paymentItems": [{"code": "W", "quantity": 1, "unitAmount": 1, "x": 1}]},
                "BAD_PRODUCT",
            ),
            ({"paymentItems": [{"code": "W", "quantity": 10**9, "unitAmount": 1}]}, "BAD_PRODUCT"),
            (
                {"paymentItems": [{"code": "W", "quantity": 1000000, "unitAmount": "9" * 14}]},
                "BAD_PRODUCT",
            ),
            (
                {"paymentItems": [{"code": "W", "quantity": 1, "unitAmount": 10**12}] * 11},
                "BAD_PRODUCT",
            ),
            ({"paymentAccountIdentifier": None}, "PAYMENT_ACCOUNT_MISSING"),
            ({"paymentAccountIdentifier": ""}, "PAYMENT_ACCOUNT_MISSING"),
            ({"expiryAt": "tomorrow"}, "BAD_EXPIRATION_DATE"),
            ({"expiryAt": "2022-11-27T16:24:51.000+02:00"}, "BAD_EXPIRATION_DATE"),
            ({"expiryAt": "2099-11-27T16:24:51"}, "BAD_EXPIRATION_DATE"),
            ({"expiryAt": 4102444800}, "BAD_EXPIRATION_DATE"),
            ({"expiryAt": "2099-13-01T00:00:00Z"}, "BAD_EXPIRATION_DATE"),
            ({"language": "DE"}, "BAD_LANGUAGE"),
            ({"language": "french"}, "BAD_LANGUAGE"),
            ({"language": 1}, "BAD_LANGUAGE"),
            ({"customer": {"email": "not-an-address"}}, "BAD_CUSTOMER_CONTACT"),
            ({"customer": {"phoneNumber": "call me"}}, "BAD_CUSTOMER_CONTACT"),
            ({"customer": {"phoneNumber": 12}}, "BAD_CUSTOMER_CONTACT"),
            ({"customer": {"name": ""}}, "BAD_CUSTOMER_CONTACT"),
            ({"customer": {"fax": "123"}}, "BAD_CUSTOMER_CONTACT"),
            ({"customer": "Jane"}, "BAD_CUSTOMER_CONTACT"),
            ({"description": "x" * 2001}, "BAD_DESCRIPTION"),
            ({"transactionID": "typo"}, "UNKNOWN_FIELD"),
            ({"tenantId": "not-a-uuid"}, "TENANT_NOT_FOUND"),
        ],
    )
    async def test_malformed_bodies(
        self,
        client: httpx.AsyncClient,
        operator: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
        change: dict[str, Any],
        code: str,
    ) -> None:
        body = {**body_for(tenant, product, account), **change}
        body = {key: value for key, value in body.items() if value is not None}
        assert code in await refused(client, operator, body)

    async def test_every_missing_field_is_named_at_once(
        self, client: httpx.AsyncClient, operator: Merchant
    ) -> None:
        codes = await refused(client, operator, {})
        assert codes == ["TRANSACTION_ID_MISSING", "PRODUCT_MISSING", "PAYMENT_ACCOUNT_MISSING"]

    @pytest.mark.parametrize("body", [[], "x", None, 3])
    async def test_body_that_is_no_object(
        self, client: httpx.AsyncClient, operator: Merchant, body: Any
    ) -> None:
        assert await refused(client, operator, body) == ["INVALID_REQUEST"]

    async def test_malformed_json(self, client: httpx.AsyncClient, operator: Merchant) -> None:
        response = await client.post(
            API,
            content=b'{"transactionId": ',
            headers={**operator.headers(), "Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert errors_of(response) == ["INVALID_REQUEST"]

    @pytest.mark.parametrize(
        ("content", "detail"),
        [
            (b'{"transactionId": "\xff\xfe"}', "not valid UTF-8 at byte 19"),
            (b'{"transactionId": ' + b"9" * 5000 + b"}", "Malformed JSON: Exceeds the limit"),
        ],
    )
    async def test_unreadable_body_in_the_seeds_envelope(
        self, client: httpx.AsyncClient, operator: Merchant, content: bytes, detail: str
    ) -> None:
        # Bodies FastAPI cannot read as JSON text answered the generic envelope (422), which
        # the route's contract does not have (found by the fuzzer).
        response = await client.post(
            API, content=content, headers={**operator.headers(), "Content-Type": "application/json"}
        )
        assert response.status_code == 400, response.text
        assert errors_of(response) == ["INVALID_REQUEST"]
        assert detail in response.json()["errors"][0]["detail"]
        assert response.json()["message"]

    async def test_nul_bytes_are_refused_not_stored(
        self,
        client: httpx.AsyncClient,
        operator: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        body = body_for(tenant, product, account, transactionId="TX\x00evil")
        response = await client.post(API, json=body, headers=operator.headers())
        assert response.status_code == 400, response.text
        assert errors_of(response) == ["TRANSACTION_ID_MISSING"]

    async def test_duplicate_transaction_id(
        self,
        client: httpx.AsyncClient,
        operator: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        body = body_for(tenant, product, account)
        await create(client, operator, body)
        again = {**body, "paymentItems": [{**body["paymentItems"][0], "quantity": 5}]}
        assert await refused(client, operator, again) == ["DUPLICATE_TRANSACTION_ID"]

    async def test_account_not_found_or_inactive(
        self,
        client: httpx.AsyncClient,
        factory: Factory,
        operator: Merchant,
        tenant: Any,
        product: Any,
    ) -> None:
        unknown = {"identifier": unique("NOPE")}
        codes = await refused(client, operator, body_for(tenant, product, unknown))
        assert codes == ["PAYMENT_ACCOUNT_NOT_FOUND"]
        inactive = await create_account(factory, active=False)
        codes = await refused(client, operator, body_for(tenant, product, inactive))
        assert codes == ["PAYMENT_ACCOUNT_NOT_FOUND"]

    async def test_product_not_found_or_inactive(
        self,
        client: httpx.AsyncClient,
        factory: Factory,
        operator: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        inactive = await create_product(factory, active=False)
        body = body_for(
            tenant,
            product,
            account,
            paymentItems=[
                {"code": product["code"], "quantity": 1, "unitAmount": 10},
                {"code": unique("NOPE"), "quantity": 1, "unitAmount": 10},
                {"code": inactive["code"], "quantity": 1, "unitAmount": 10},
            ],
        )
        response = await client.post(API, json=body, headers=operator.headers())
        assert response.status_code == 400
        assert errors_of(response) == ["PRODUCT_NOT_FOUND"]
        assert inactive["code"] in response.json()["errors"][0]["detail"]

    async def test_tenant_missing_for_the_operator(
        self,
        client: httpx.AsyncClient,
        operator: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        body = body_for(tenant, product, account)
        del body["tenantId"]
        assert await refused(client, operator, body) == ["TENANT_MISSING"]
        ghost = body_for(tenant, product, account, tenantId=str(uuid.uuid4()))
        assert await refused(client, operator, ghost) == ["TENANT_NOT_FOUND"]

    async def test_currency_switched_off(
        self,
        client: httpx.AsyncClient,
        factory: Factory,
        operator: Merchant,
        tenant: Any,
        product: Any,
    ) -> None:
        usd = await create_account(factory, currency="USD")
        codes = await refused(client, operator, body_for(tenant, product, usd))
        assert codes == ["CURRENCY_NOT_ENABLED"]


class TestAuthentication:
    async def test_missing_invalid_and_revoked_keys(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        body = body_for(tenant, product, account)
        for headers in (
            {},
            {"irembopay-secretKey": "bk_nope"},
            {"irembopay-secretKey": "not-a-key"},
            {"Authorization": "Bearer bk_nope"},
            {"Authorization": "Basic abc"},
        ):
            response = await client.post(API, json=body, headers=headers)
            assert response.status_code == 401, (headers, response.text)
            assert errors_of(response) == ["AUTHENTICATION_FAILED"]
        # Two different keys in the two headers.
        one = await create_key(client, tokens, tenant_id=None, scopes=["invoices:write"])
        two = await create_key(client, tokens, tenant_id=None, scopes=["invoices:write"])
        mixed = {**one.headers(), "irembopay-secretKey": two.secret}
        response = await client.post(API, json=body, headers=mixed)
        assert response.status_code == 401

    async def test_scopes_and_roles(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        body = body_for(tenant, product, account)
        reader = await create_key(client, tokens, tenant_id=None, scopes=["invoices:read"])
        response = await client.post(API, json=body, headers=reader.headers())
        assert response.status_code == 403
        assert errors_of(response) == ["FORBIDDEN"]
        reseller = await factory.create_reseller()
        response = await client.post(
            API, json=body, headers=tokens.reseller(uuid.UUID(reseller["id"]))
        )
        assert response.status_code == 403
        member = tokens.member(uuid.UUID(tenant["id"]))
        response = await client.post(API, json=body, headers=member)
        assert response.status_code == 403
        # An admin token is the operator too.
        response = await client.post(API, json=body, headers=tokens.admin())
        assert response.status_code == 201, response.text


class TestMerchants:
    async def test_transaction_ids_are_per_merchant(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        operator: Merchant,
        tenant_key: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        transaction_id = unique("TX")
        mine = await create(
            client,
            tenant_key,
            body_for(tenant, product, account, transactionId=transaction_id, tenantId=None),
        )
        theirs = await create(
            client, operator, body_for(tenant, product, account, transactionId=transaction_id)
        )
        assert mine["invoiceNumber"] != theirs["invoiceNumber"]
        assert mine["tenantId"] == theirs["tenantId"] == tenant["id"]
        other_tenant = await factory.create_tenant(default_currency="KES", country_code="KE")
        other_key = await create_key(
            client, tokens, tenant_id=other_tenant["id"], scopes=["billing:read", "billing:write"]
        )
        price = product["unit_price"]
        await create(
            client,
            other_key,
            {
                "transactionId": transaction_id,
                "paymentItems": [{"code": product["code"], "quantity": 1, "unitAmount": price}],
                "paymentAccountIdentifier": account["identifier"],
            },
        )
        # Each merchant reads its own, and nobody else's.
        own = await client.get(f"{API}/transactions/{transaction_id}", headers=tenant_key.headers())
        assert own.json()["data"]["invoiceNumber"] == mine["invoiceNumber"]
        operators = await client.get(
            f"{API}/transactions/{transaction_id}", headers=operator.headers(alias=True)
        )
        assert operators.json()["data"]["invoiceNumber"] == theirs["invoiceNumber"]
        for number in (mine["invoiceNumber"], theirs["invoiceNumber"]):
            response = await client.get(f"{API}/{number}", headers=other_key.headers())
            assert response.status_code == 404
            assert errors_of(response) == ["INVOICE_NOT_FOUND"]
        response = await client.get(
            f"{API}/{theirs['invoiceNumber']}", headers=tenant_key.headers()
        )
        assert response.status_code == 404

    async def test_a_tenant_pays_catalog_prices_for_itself(
        self,
        client: httpx.AsyncClient,
        factory: Factory,
        tenant_key: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        cheap = body_for(
            tenant,
            product,
            account,
            tenantId=None,
            paymentItems=[{"code": product["code"], "quantity": 1, "unitAmount": 1}],
        )
        codes = await refused(client, tenant_key, cheap)
        assert codes == ["BAD_PRODUCT"]
        other = await factory.create_tenant()
        assert await refused(
            client, tenant_key, body_for(tenant, product, account, tenantId=other["id"])
        ) == ["TENANT_NOT_FOUND"]
        fair = {
            **cheap,
            "paymentItems": [{"code": product["code"], "quantity": 1, "unitAmount": "1500"}],
        }
        data = await create(client, tenant_key, fair)
        assert data["amount"] == "1500.00"

    async def test_concurrent_creations_make_one_invoice(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        operator: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        body = body_for(tenant, product, account)
        responses = await asyncio.gather(
            *(client.post(API, json=body, headers=operator.headers()) for _ in range(20))
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201] + [400] * 19, [r.text for r in responses if r.status_code >= 500]
        for response in responses:
            if response.status_code == 400:
                assert errors_of(response) == ["DUPLICATE_TRANSACTION_ID"]
        created = next(r for r in responses if r.status_code == 201).json()["data"]
        listed = await client.get(
            f"{ADMIN}/payment-links", params={"tenant_id": tenant["id"]}, headers=tokens.admin()
        )
        links = [
            link
            for link in listed.json()["data"]
            if link["transaction_id"] == body["transactionId"]
        ]
        assert [link["invoice_number"] for link in links] == [created["invoiceNumber"]]
        invoices = await client.get(
            f"{ADMIN}/invoices",
            params={"tenant_id": tenant["id"], "per_page": 500},
            headers=tokens.admin(),
        )
        assert invoices.json()["pagination"]["total"] == len(
            {link["invoice_id"] for link in listed.json()["data"]}
        )


class TestRealInvoices:
    async def test_numbered_listed_renderable_and_payable(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        operator: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        data = await create(client, operator, body_for(tenant, product, account, language="fr"))
        number = data["invoiceNumber"]
        admin_list = await client.get(
            f"{ADMIN}/invoices", params={"q": number}, headers=tokens.admin()
        )
        [listed] = admin_list.json()["data"]
        assert listed["id"] == data["invoiceId"]
        assert listed["status"] == "issued"
        assert listed["language"] == "fr"
        assert listed["total_amount"] == data["totalAmount"]
        # The QR code of the PDF and the payment link open the same page.
        assert listed["public_url"] == data["paymentLinkUrl"]
        owner = tokens.owner(uuid.UUID(tenant["id"]))
        mine = await client.get("/api/v1/billing/invoices", headers=owner)
        assert data["invoiceId"] in {invoice["id"] for invoice in mine.json()["data"]}
        pending = await client.get(
            f"{ADMIN}/invoices/pending", params={"q": number}, headers=tokens.admin()
        )
        assert pending.json()["pagination"]["total"] == 1
        pdf = await client.get(f"{ADMIN}/invoices/{data['invoiceId']}/pdf", headers=tokens.admin())
        assert pdf.status_code == 200
        text = page_texts(pdf.content)[0]
        assert f"Facture {number}" in text  # the invoice's language labels its PDF
        assert "Numéro" in text
        page = await client.get(urlsplit(data["paymentLinkUrl"]).path)
        assert page.status_code == 200
        assert '<html lang="fr">' in page.text
        assert f"Facture {number}" in page.text
        # Payable: cash at the counter settles it, and the seed's status follows.
        paid = await client.post(
            f"{ADMIN}/invoices/{data['invoiceId']}/payments",
            json={"amount": data["totalAmount"], "method": "cash"},
            headers=tokens.admin(),
        )
        assert paid.status_code == 201, paid.text
        after = await client.get(f"{API}/{number}", headers=operator.headers())
        assert after.json()["data"]["paymentStatus"] == "PAID"
        assert after.json()["data"]["amountDue"] == "0.00"
        assert after.json()["data"]["invoiceStatus"] == "paid"

    async def test_a_refused_creation_leaves_nothing_and_no_gap(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        operator: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        first = await create(client, operator, body_for(tenant, product, account))
        body = body_for(tenant, product, account)
        await create(client, operator, body)
        assert await refused(client, operator, body) == ["DUPLICATE_TRANSACTION_ID"]
        bad = body_for(
            tenant,
            product,
            account,
            paymentItems=[{"code": unique("NOPE"), "quantity": 1, "unitAmount": 1}],
        )
        assert await refused(client, operator, bad) == ["PRODUCT_NOT_FOUND"]
        last = await create(client, operator, body_for(tenant, product, account))
        listed = await client.get(
            f"{ADMIN}/invoices",
            params={"tenant_id": tenant["id"], "per_page": 500, "sort": "created_at"},
            headers=tokens.admin(),
        )
        numbers = [invoice["invoice_number"] for invoice in listed.json()["data"]]
        start = numbers.index(first["invoiceNumber"])
        assert numbers[start:] == [
            first["invoiceNumber"],
            numbers[start + 1],
            last["invoiceNumber"],
        ]
        assert len(numbers) == start + 3


class TestRead:
    async def test_by_number_and_by_transaction_id(
        self,
        client: httpx.AsyncClient,
        operator: Merchant,
        tenant: Any,
        product: Any,
        account: Any,
    ) -> None:
        created = await create(client, operator, body_for(tenant, product, account))
        by_number = await client.get(
            f"{API}/{created['invoiceNumber']}", headers=operator.headers()
        )
        by_transaction = await client.get(
            f"{API}/transactions/{created['transactionId']}",
            headers={**operator.headers(alias=True)},
        )
        for response in (by_number, by_transaction):
            assert response.status_code == 200, response.text
            payload = response.json()
            assert payload["success"] is True
            assert payload["message"] == "Invoice fetched successfully"
            assert payload["data"] == {**created, "updatedAt": payload["data"]["updatedAt"]}

    async def test_unknown_ones_are_404_in_the_seed_envelope(
        self, client: httpx.AsyncClient, operator: Merchant
    ) -> None:
        for path in (
            f"{API}/INV-NOPE",
            f"{API}/transactions/{unique('TX')}",
            f"{API}/{'9' * 150}",
        ):
            response = await client.get(path, headers=operator.headers())
            assert response.status_code == 404
            assert errors_of(response) == ["INVOICE_NOT_FOUND"]
        # A control character is refused as malformed input, like everywhere else.
        for path in (f"{API}/INV%00", f"{API}/transactions/TX%00"):
            response = await client.get(path, headers=operator.headers())
            assert response.status_code == 422, response.text
            assert response.json()["success"] is False
        response = await client.get(f"{API}/INV-NOPE")
        assert response.status_code == 401
        assert errors_of(response) == ["AUTHENTICATION_FAILED"]
