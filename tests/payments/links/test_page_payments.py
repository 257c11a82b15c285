"""Paying a payment link on its page, over real HTTP against the fake providers: M-Pesa (STK
push, then the page's status route), Pesapal (away and back), card (a PaymentIntent for the
Payment Element, settled by the signed webhook), Mollie (away and back, settled by the
webhook); and money still settled after the link expired is recorded and listed."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from billing.config import Settings
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.fixtures.waiting import eventually
from tests.providers.stripe.stripe_support import PUBLISHABLE_KEY

from .conftest import ADMIN, API, Merchant, create_account, create_key, create_product, unique
from .live import PayStack, pay_stack

pytestmark = pytest.mark.slow

PAGES = "/api/v1/public/invoices"


@pytest.fixture(scope="module")
def stack(database_url: str, settings: Settings) -> Iterator[PayStack]:
    with pay_stack(database_url, settings) as running:
        yield running


@pytest.fixture
async def http(stack: PayStack) -> AsyncIterator[httpx.AsyncClient]:
    async with stack.client() as client:
        yield client


@pytest.fixture
async def seller_key(client: httpx.AsyncClient, tokens: Tokens) -> Merchant:
    return await create_key(
        client, tokens, tenant_id=None, scopes=["invoices:read", "invoices:write"]
    )


async def new_link(
    http: httpx.AsyncClient,
    factory: Factory,
    merchant: Merchant,
    *,
    currency: str = "KES",
    amount: str = "1000",
    methods: tuple[str, ...] = ("mpesa", "pesapal", "stripe", "mollie", "cash_on_delivery"),
    **fields: Any,
) -> tuple[Any, str]:
    """A payment-link invoice created through the served app, and its page's public id."""
    tenant = await factory.create_tenant(
        default_currency=currency, country_code="KE", email="payer@tenant.example"
    )
    product = await create_product(factory, currency=currency, unit_price=amount)
    account = await create_account(factory, currency=currency, accepted_methods=list(methods))
    body = {
        "transactionId": unique("TX"),
        "paymentItems": [{"code": product["code"], "quantity": 1, "unitAmount": amount}],
        "paymentAccountIdentifier": account["identifier"],
        "tenantId": tenant["id"],
        **fields,
    }
    response = await http.post(API, json=body, headers=merchant.headers(alias=True))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    return data, urlsplit(data["paymentLinkUrl"]).path.rsplit("/", 1)[1]


async def follow(http: httpx.AsyncClient, public_id: str, reference: str) -> Any:
    """Poll the page's status route, as the page's script does, until the invoice is paid."""

    async def paid() -> Any:
        response = await http.get(
            f"{PAGES}/{public_id}/payment-status", params={"attempt": reference}
        )
        assert response.status_code == 200, response.text
        state = response.json()["data"]
        return state if state["paid"] else None

    return await eventually(paid, within=20)


async def test_the_page_offers_what_the_invoice_accepts(
    http: httpx.AsyncClient, factory: Factory, seller_key: Merchant
) -> None:
    _data, public_id = await new_link(
        http, factory, seller_key, methods=("mpesa", "pesapal", "cash_on_delivery")
    )
    page = await http.get(f"{PAGES}/{public_id}")
    assert page.status_code == 200
    for method in ("mpesa", "pesapal", "cash_on_delivery"):
        assert f'id="form-{method}"' in page.text
    # Without card, no Stripe.js and no Stripe origin in the policy.
    policy = page.headers["content-security-policy"]
    [nonce] = re.findall(r"'nonce-([^']+)'", policy.split(";")[1])
    assert f'<script nonce="{nonce}">' in page.text
    assert page.text.count("<script") == 2  # the JSON configuration and the payment script
    assert "https://js.stripe.com" not in page.text
    assert "js.stripe.com" not in policy
    _eur, eur_id = await new_link(http, factory, seller_key, currency="EUR", amount="49.00")
    card_page = await http.get(f"{PAGES}/{eur_id}")
    assert 'id="form-stripe"' in card_page.text
    assert 'id="form-mollie"' in card_page.text
    assert 'id="form-mpesa"' not in card_page.text  # M-Pesa charges KES only
    assert '<script src="https://js.stripe.com/v3/"' in card_page.text
    assert "script-src 'nonce-" in card_page.headers["content-security-policy"]
    assert "https://js.stripe.com" in card_page.headers["content-security-policy"]
    _only_mpesa, only_id = await new_link(http, factory, seller_key, methods=("mpesa",))
    narrow = await http.get(f"{PAGES}/{only_id}")
    assert 'id="form-mpesa"' in narrow.text
    assert 'id="form-pesapal"' not in narrow.text
    refused = await http.post(
        f"{PAGES}/{only_id}/payments/pesapal", json={"email": "payer@example.com"}
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "payment_method_not_accepted"


async def test_mpesa_through_the_existing_initiate_route(
    http: httpx.AsyncClient, factory: Factory, seller_key: Merchant
) -> None:
    data, public_id = await new_link(http, factory, seller_key)
    started = await http.post(
        "/api/v1/payments/mpesa/initiate",
        json={"public_id": public_id, "phone_number": "0708374149"},
    )
    assert started.status_code == 201, started.text
    state = await follow(http, public_id, started.json()["data"]["reference"])
    assert state["status"] == "paid"
    assert state["amount_due"] == "0.00"
    assert state["attempt"]["status"] == "succeeded"
    seed = await http.get(f"{API}/{data['invoiceNumber']}", headers=seller_key.headers())
    assert seed.json()["data"]["paymentStatus"] == "PAID"
    again = await http.post(
        "/api/v1/payments/mpesa/initiate",
        json={"public_id": public_id, "phone_number": "0708374149"},
    )
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invoice_already_paid"


async def test_pesapal_away_and_back_to_the_page(
    http: httpx.AsyncClient, factory: Factory, seller_key: Merchant, stack: PayStack
) -> None:
    data, public_id = await new_link(http, factory, seller_key)
    started = await http.post(
        f"{PAGES}/{public_id}/payments/pesapal", json={"email": "payer@example.com"}
    )
    assert started.status_code == 201, started.text
    redirect_url = started.json()["data"]["redirect_url"]
    assert redirect_url.startswith(stack.pesapal.base_url)
    async with httpx.AsyncClient(timeout=20) as browser:
        hosted = await browser.get(redirect_url)
        link = re.search(r'href="([^"]*outcome=completed)"', hosted.text)
        assert link is not None
        paid = await browser.get(stack.pesapal.url(link.group(1)))
        assert paid.status_code == 302
        back = await browser.get(paid.headers["location"])
        assert back.status_code == 303
        location = back.headers["location"]
        assert location.startswith(f"{PAGES}/{public_id}?attempt=TXN-")
        page = await browser.get(f"{stack.app_url}{location}")
    assert 'class="status status-paid"' in page.text
    region = page.text[page.text.find('id="pay-heading"') :][:400]
    assert "Payment received. Thank you!" in page.text, (location, region)
    seed = await http.get(f"{API}/{data['invoiceNumber']}", headers=seller_key.headers())
    assert seed.json()["data"]["paymentStatus"] == "PAID"


async def test_card_with_a_payment_intent_settled_by_the_webhook(
    http: httpx.AsyncClient, factory: Factory, seller_key: Merchant, stack: PayStack
) -> None:
    data, public_id = await new_link(http, factory, seller_key, currency="EUR", amount="49.00")
    started = await http.post(f"{PAGES}/{public_id}/payments/stripe", json={})
    assert started.status_code == 201, started.text
    card = started.json()["data"]
    assert card["publishable_key"] == PUBLISHABLE_KEY
    assert card["amount"] == data["totalAmount"]
    assert card["return_url"].endswith(f"{PAGES}/{public_id}?paid_with=stripe")
    intent = card["client_secret"].split("_secret_")[0]
    # The browser's word counts for nothing: a return saying "succeeded" changes nothing.
    claimed = await http.get(
        f"{PAGES}/{public_id}",
        params={"paid_with": "stripe", "payment_intent": intent, "redirect_status": "succeeded"},
    )
    assert 'class="status status-issued"' in claimed.text
    state = await http.get(
        f"{PAGES}/{public_id}/payment-status", params={"attempt": card["reference"]}
    )
    assert state.json()["data"]["paid"] is False
    # What Stripe.js does with the Payment Element, then Stripe's signed webhook.
    await stack.stripe.control(
        f"payment_intents/{intent}/confirm", {"payment_method": "pm_card_visa"}
    )
    deliveries = await stack.stripe.deliver(
        f"{stack.app_url}/api/v1/webhooks/stripe",
        [{"type": "payment_intent.succeeded", "object_id": intent}],
    )
    assert {delivery["status_code"] for delivery in deliveries} == {200}

    async def settled() -> Any:
        seed = await http.get(f"{API}/{data['invoiceNumber']}", headers=seller_key.headers())
        return seed.json()["data"] if seed.json()["data"]["paymentStatus"] == "PAID" else None

    paid = await eventually(settled, within=20)
    assert paid["amountDue"] == "0.00"
    page = await http.get(f"{PAGES}/{public_id}", params={"paid_with": "stripe"})
    assert 'class="status status-paid"' in page.text


async def test_mollie_away_and_back_settled_by_the_webhook(
    http: httpx.AsyncClient, factory: Factory, seller_key: Merchant, stack: PayStack
) -> None:
    _data, public_id = await new_link(http, factory, seller_key, currency="EUR", amount="20.00")
    started = await http.post(f"{PAGES}/{public_id}/payments/mollie", json={})
    assert started.status_code == 201, started.text
    checkout_url = started.json()["data"]["checkout_url"]
    assert checkout_url.startswith(stack.mollie.server.base_url)
    payment_id = checkout_url.rstrip("/").rsplit("/", 1)[1]
    async with httpx.AsyncClient(timeout=20) as browser:
        back = await browser.get(checkout_url, params={"outcome": "paid"})
        assert back.status_code == 303
        assert back.headers["location"] == f"{stack.app_url}{PAGES}/{public_id}?paid_with=mollie"
    await stack.mollie.control(f"payments/{payment_id}/webhook", {"repeat": 1})
    state = await follow(http, public_id, started.json()["data"]["reference"])
    assert state["attempt"]["status"] == "succeeded"
    page = await http.get(f"{PAGES}/{public_id}", params={"paid_with": "mollie"})
    assert 'class="status status-paid"' in page.text


async def test_cash_on_delivery_from_the_page(
    http: httpx.AsyncClient, factory: Factory, seller_key: Merchant
) -> None:
    _data, public_id = await new_link(http, factory, seller_key)
    created = await http.post("/api/v1/payments/cod/create", json={"public_id": public_id})
    assert created.status_code == 201, created.text
    assert re.fullmatch(r"\d{6}", created.json()["data"]["verification_code"])


async def test_money_settled_after_the_expiry_is_recorded_and_listed(
    http: httpx.AsyncClient,
    factory: Factory,
    seller_key: Merchant,
    stack: PayStack,
    tokens: Tokens,
) -> None:
    expiry = datetime.now(UTC) + timedelta(seconds=3)
    data, public_id = await new_link(http, factory, seller_key, expiryAt=expiry.isoformat())
    await stack.daraja_control(
        "/__control/scenario", {"phone": "254708000111", "result_code": 0, "manual": True}
    )
    started = await http.post(
        "/api/v1/payments/mpesa/initiate",
        json={"public_id": public_id, "phone_number": "0708000111"},
    )
    assert started.status_code == 201, started.text
    push = started.json()["data"]
    await asyncio.sleep(max(0.0, (expiry - datetime.now(UTC)).total_seconds()) + 0.5)
    refused = await http.post(
        "/api/v1/payments/mpesa/initiate",
        json={"public_id": public_id, "phone_number": "0708000111"},
    )
    assert refused.status_code == 409
    # The payer answers the push started before the expiry: the money moves and is recorded.
    await stack.daraja_control(f"/__control/stk/{push['checkout_request_id']}/trigger", {})

    async def recorded() -> Any:
        seed = await http.get(f"{API}/{data['invoiceNumber']}", headers=seller_key.headers())
        body = seed.json()["data"]
        return body if body["paymentStatus"] == "PAID" else None

    paid = await eventually(recorded, within=20)
    assert paid["expired"] is True
    late = await http.get(f"{ADMIN}/payment-links/late-payments", headers=tokens.admin())
    [row] = [row for row in late.json()["data"] if row["invoice_id"] == data["invoiceId"]]
    assert row["reference"] == push["reference"]
    assert row["method"] == "mpesa"
    assert row["amount"] == data["totalAmount"]
    page = await http.get(f"{PAGES}/{public_id}")
    assert 'class="status status-paid"' in page.text


async def test_saved_methods_are_not_charged_once_the_link_expired(
    http: httpx.AsyncClient,
    factory: Factory,
    seller_key: Merchant,
    stack: PayStack,
    tokens: Tokens,
) -> None:
    expiry = datetime.now(UTC) + timedelta(seconds=3)
    data, _ = await new_link(
        http, factory, seller_key, currency="EUR", amount="30.00", expiryAt=expiry.isoformat()
    )
    owner = tokens.owner(uuid.UUID(data["tenantId"]))
    setup = await http.post(
        "/api/v1/billing/payment-providers/stripe/setup",
        headers=owner,
        json={"method_type": "card"},
    )
    assert setup.status_code == 200, setup.text
    setup_ref = setup.json()["data"]["setup_ref"]
    await stack.stripe.control(
        f"setup_intents/{setup_ref}/confirm", {"payment_method": "pm_card_visa"}
    )
    saved = await http.post(
        "/api/v1/billing/payment-providers/stripe/confirm",
        headers=owner,
        json={"confirmation_data": {"setup_intent_id": setup_ref}},
    )
    assert saved.status_code == 200, saved.text
    await asyncio.sleep(max(0.0, (expiry - datetime.now(UTC)).total_seconds()) + 0.5)
    intents_before = len(stack.stripe.requests("/v1/payment_intents"))
    for path, headers in (
        (f"/api/v1/billing/invoices/{data['invoiceId']}/pay", owner),
        (f"{ADMIN}/invoices/{data['invoiceId']}/charge", tokens.admin()),
    ):
        refused = await http.post(
            path, json={"payment_method_id": saved.json()["data"]["id"]}, headers=headers
        )
        assert refused.status_code == 409, (path, refused.text)
        assert refused.json()["error"]["code"] == "payment_link_expired"
    assert len(stack.stripe.requests("/v1/payment_intents")) == intents_before  # nothing sent
