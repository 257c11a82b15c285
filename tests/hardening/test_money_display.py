"""Property: every amount of money the API shows, in a field or in a message, has exactly the
decimals of its currency's minor unit (JPY 0, EUR 2, KWD 3), whatever the prices,
quantities, discounts and payments that produced it."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Coroutine, Iterator
from decimal import ROUND_DOWN, Decimal
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.config import Settings
from billing.core.db import Database
from billing.core.money import minor_unit, quantum
from billing.main import create_app
from tests.conftest import OPERATOR_SELLER
from tests.fixtures.auth import Tokens
from tests.hardening.conftest import ADMIN

T = TypeVar("T")

MONEY_FIELDS = frozenset(
    {
        "subtotal",
        "discount_amount",
        "tax_amount",
        "total_amount",
        "amount_paid",
        "amount_refunded",
        "balance",
        "line_total",
        "taxable_amount",
        "amount",
        "allocated_amount",
        "balance_after",
        "wallet_credit",
        "remaining",
        "open_balance",
        "amount_due",
        "amount_given",
        "change_amount",
        "commission_amount",
    }
)
"""Fields holding money (prices, quantities and rates may carry more places)."""

IN_MESSAGE = re.compile(r"(-?[0-9]+(?:\.[0-9]+)?) (JPY|EUR|KWD)\b")


def places(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def money_strings(node: Any, currency: str | None = None) -> Iterator[tuple[str, str, str]]:
    """(field, value, currency) for every money field, with the nearest enclosing currency."""
    if isinstance(node, dict):
        currency = (
            node.get("currency", currency) if isinstance(node.get("currency"), str) else (currency)
        )
        for key, value in node.items():
            if key in MONEY_FIELDS and isinstance(value, str):
                assert currency is not None, (key, node)
                yield key, value, currency
            else:
                yield from money_strings(value, currency)
    elif isinstance(node, list):
        for item in node:
            yield from money_strings(item, currency)


def check_response(response: httpx.Response) -> None:
    body = response.json()
    for field, value, currency in money_strings(body.get("data")):
        assert places(value) == minor_unit(currency), (field, value, currency)
    error = body.get("error")
    if error is not None:
        for amount, currency in IN_MESSAGE.findall(error["message"]):
            assert places(amount) == minor_unit(currency), (error["message"], currency)


class Api:
    """The app on its own event loop (Hypothesis drives a synchronous test)."""

    def __init__(self, database_url: str, app_settings: Settings, tokens: Tokens) -> None:
        self.loop = asyncio.new_event_loop()
        self.database = Database.connect(database_url, role=app_settings.app_role, pool_size=2)
        app = create_app(app_settings, self.database)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://money"
        )
        self.headers = tokens.admin("money-display")
        self.responses = 0

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        response = self.run(self.client.request(method, path, headers=self.headers, json=body))
        assert response.status_code < 500, response.text
        check_response(response)
        self.responses += 1
        return response

    def close(self) -> None:
        self.run(self.client.aclose())
        self.run(self.database.dispose())
        self.loop.close()


@pytest.fixture(scope="module")
def api(database_url: str, settings: Settings, tokens: Tokens) -> Iterator[Api]:
    api = Api(database_url, settings, tokens)
    before = api.call("GET", f"{ADMIN}/settings").json()["data"]
    api.call(
        "PUT",
        f"{ADMIN}/settings",
        {
            "enabled_currencies": ["EUR", "KES", "JPY", "KWD"],
            "enable_cash": True,
            "default_tax_rate": "16.00",
            "seller": OPERATOR_SELLER,
        },
    )
    yield api
    api.call("PUT", f"{ADMIN}/settings", before)
    api.close()


@given(
    currency=st.sampled_from(["JPY", "EUR", "KWD"]),
    quantity=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("500"), places=3),
    price=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("20000"), places=4),
    discount_share=st.sampled_from([Decimal(0), Decimal("0.1"), Decimal("0.333")]),
    paid_share=st.sampled_from([Decimal("0.25"), Decimal("0.5"), Decimal("0.999")]),
    reseller_rate=st.sampled_from([None, Decimal("7.5"), Decimal("12.25")]),
)
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_money_is_shown_in_the_currency_minor_unit(
    api: Api,
    currency: str,
    quantity: Decimal,
    price: Decimal,
    discount_share: Decimal,
    paid_share: Decimal,
    reseller_rate: Decimal | None,
) -> None:
    unit = quantum(currency)
    tenant_body: dict[str, Any] = {"name": f"Money {uuid.uuid4().hex[:8]}"}
    if reseller_rate is not None:
        reseller = api.call(
            "POST",
            f"{ADMIN}/resellers",
            {"name": f"R {uuid.uuid4().hex[:6]}", "commission_rate": str(reseller_rate)},
        )
        tenant_body["reseller_id"] = reseller.json()["data"]["id"]
    tenant = api.call("POST", f"{ADMIN}/tenants", {**tenant_body, "default_currency": currency})
    tenant_id = tenant.json()["data"]["id"]
    net = quantity * price
    if net.quantize(unit, rounding=ROUND_DOWN) <= 0:
        return  # nothing to pay in this currency
    discount = (net * discount_share).quantize(unit, rounding=ROUND_DOWN)
    created = api.call(
        "POST",
        f"{ADMIN}/invoices",
        {
            "tenant_id": tenant_id,
            "currency": currency,
            "status": "issued",
            "discount_amount": str(discount),
            "items": [{"name": "Line", "quantity": str(quantity), "unit_price": str(price)}],
        },
    )
    assert created.status_code == 201, created.text
    invoice = created.json()["data"]
    total = Decimal(invoice["total_amount"])
    part = (total * paid_share).quantize(unit, rounding=ROUND_DOWN)
    invoice_path = f"{ADMIN}/invoices/{invoice['id']}"
    if part > 0:
        paid = api.call("POST", f"{invoice_path}/payments", {"amount": str(part)})
        assert paid.status_code == 201, paid.text
    too_much = api.call("POST", f"{invoice_path}/payments", {"amount": str(total + unit * 7)})
    assert too_much.status_code == 400
    assert too_much.json()["error"]["code"] == "amount_exceeds_balance"
    quick = api.call(
        "POST",
        f"{ADMIN}/tenants/{tenant_id}/quick-pay",
        {"amount": str(total), "currency": currency},
    )
    assert quick.status_code == 200, quick.text
    assert Decimal(quick.json()["data"]["wallet_credit"]) == part
    refund = api.call(
        "POST",
        f"{ADMIN}/payments/{quick.json()['data']['payment']['id']}/refund",
        {"amount": str(total + unit * 3)},
    )
    assert refund.status_code == 400
    api.call("GET", invoice_path)
    api.call("GET", f"{invoice_path}/payments")
    api.call("GET", f"{ADMIN}/tenants/{tenant_id}/wallet")
    api.call("GET", f"{ADMIN}/transactions", None)
