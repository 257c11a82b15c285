"""Every input that used to answer 500 (or was wrongly accepted) now gets a 4xx envelope and
changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.hardening.conftest import ADMIN, issued

HUGE_PAGE = 4611686018427387904
FORTY_DIGITS = "1" * 40
FULL_WIDTH_12 = "\uff11\uff12"  # Decimal() reads other scripts' digits
FULL_WIDTH_5 = "\uff15"


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    assert response.json()["meta"]["request_id"]
    return error


async def invoice_state(client: httpx.AsyncClient, tokens: Tokens, invoice_id: str) -> Any:
    response = await client.get(f"{ADMIN}/invoices/{invoice_id}", headers=tokens.admin())
    assert response.status_code == 200
    data = response.json()["data"]
    payments = await client.get(f"{ADMIN}/invoices/{invoice_id}/payments", headers=tokens.admin())
    return data["amount_paid"], data["status"], len(payments.json()["data"])


class TestPages:
    @pytest.mark.parametrize(
        "path",
        [
            f"{ADMIN}/invoices",
            f"{ADMIN}/invoices/pending",
            f"{ADMIN}/tenants",
            f"{ADMIN}/transactions",
            f"{ADMIN}/products",
            f"{ADMIN}/resellers",
        ],
    )
    async def test_page_beyond_the_bound_is_422(
        self, client: httpx.AsyncClient, tokens: Tokens, path: str
    ) -> None:
        response = await client.get(path, params={"page": HUGE_PAGE}, headers=tokens.admin())
        error = assert_envelope(response, 422, "validation_error")
        assert error["details"][0]["field"] == "page"
        last = await client.get(path, params={"page": 1_000_000}, headers=tokens.admin())
        assert last.status_code == 200
        assert last.json()["data"] == []

    async def test_tenant_list_too(
        self, client: httpx.AsyncClient, tokens: Tokens, tenant: Any
    ) -> None:
        response = await client.get(
            "/api/v1/billing/invoices",
            params={"page": HUGE_PAGE},
            headers=tokens.owner(uuid.UUID(tenant["id"])),
        )
        assert_envelope(response, 422, "validation_error")


class TestAmounts:
    @pytest.mark.parametrize(
        "amount",
        ["1e309", "1E+3", FORTY_DIGITS, " 5 ", FULL_WIDTH_5, FULL_WIDTH_12, "NaN", "+5", "5."],
    )
    async def test_malformed_payment_amounts_are_422_and_write_nothing(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        tenant: Any,
        amount: str,
    ) -> None:
        invoice = await issued(factory, tenant["id"])
        before = await invoice_state(client, tokens, invoice["id"])
        response = await client.post(
            f"{ADMIN}/invoices/{invoice['id']}/payments",
            headers=tokens.admin(),
            json={"amount": amount, "method": "cash"},
        )
        error = assert_envelope(response, 422, "validation_error")
        assert error["details"][0]["field"] == "amount"
        assert await invoice_state(client, tokens, invoice["id"]) == before

    @pytest.mark.parametrize("amount", ["1e309", FORTY_DIGITS, FULL_WIDTH_12, " 5 "])
    async def test_malformed_quick_pay_amounts_are_422(
        self, client: httpx.AsyncClient, tokens: Tokens, tenant: Any, amount: str
    ) -> None:
        response = await client.post(
            f"{ADMIN}/tenants/{tenant['id']}/quick-pay",
            headers=tokens.admin(),
            json={"amount": amount},
        )
        assert_envelope(response, 422, "validation_error")
        wallet = await client.get(f"{ADMIN}/tenants/{tenant['id']}/wallet", headers=tokens.admin())
        assert wallet.json()["data"]["entries"] == []

    async def test_json_numbers_are_bounded_too(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued(factory, tenant["id"])
        for raw in (b'{"amount": 1e309}', b'{"amount": 1' + b"0" * 40 + b"}"):
            response = await client.post(
                f"{ADMIN}/invoices/{invoice['id']}/payments",
                headers={**tokens.admin(), "content-type": "application/json"},
                content=raw,
            )
            assert_envelope(response, 422, "validation_error")
        # Beyond Python's limit for integer text (4,300 digits) the body itself is unreadable.
        response = await client.post(
            f"{ADMIN}/invoices/{invoice['id']}/payments",
            headers={**tokens.admin(), "content-type": "application/json"},
            content=b'{"amount": ' + b"9" * 5000 + b"}",
        )
        assert_envelope(response, 422, "validation_error")

    async def test_quantity_times_price_beyond_the_largest_amount_is_422(
        self, client: httpx.AsyncClient, tokens: Tokens, tenant: Any
    ) -> None:
        huge = {"name": "x", "quantity": "99999999999999", "unit_price": "99999999999999"}
        created = await client.post(
            f"{ADMIN}/invoices",
            headers=tokens.admin(),
            json={"tenant_id": tenant["id"], "items": [huge]},
        )
        error = assert_envelope(created, 422, "invoice_invalid")
        assert "999999999999.99" in error["message"]
        listed = await client.get(
            f"{ADMIN}/invoices", params={"tenant_id": tenant["id"]}, headers=tokens.admin()
        )
        assert listed.json()["data"] == []

        draft = await client.post(
            f"{ADMIN}/invoices",
            headers=tokens.admin(),
            json={"tenant_id": tenant["id"], "items": [{"name": "ok", "unit_price": "1"}]},
        )
        draft_id = draft.json()["data"]["id"]
        added = await client.post(
            f"{ADMIN}/invoices/{draft_id}/items", headers=tokens.admin(), json=huge
        )
        assert_envelope(added, 422, "invoice_invalid")
        # Many lines each within the bound, together beyond it.
        many = [{"name": "big", "unit_price": "999999999999"}] * 3
        updated = await client.put(
            f"{ADMIN}/invoices/{draft_id}", headers=tokens.admin(), json={"items": many}
        )
        assert_envelope(updated, 422, "invoice_invalid")
        detail = await client.get(f"{ADMIN}/invoices/{draft_id}", headers=tokens.admin())
        assert [item["name"] for item in detail.json()["data"]["items"]] == ["ok"]


class TestText:
    async def test_nul_in_query_is_422(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        for path in (f"{ADMIN}/invoices", f"{ADMIN}/tenants", f"{ADMIN}/products"):
            response = await client.get(path, params={"q": "\x00"}, headers=tokens.admin())
            error = assert_envelope(response, 422, "validation_error")
            assert error["details"][0]["loc"] == ["query", "q"]
            assert "U+0000" in error["message"]

    async def test_nul_in_path_is_422(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        response = await client.get(f"{ADMIN}/transactions/TXN%00", headers=tokens.admin())
        assert_envelope(response, 422, "validation_error")
        public = await client.get("/api/v1/invoices/INV%00/pay")
        assert_envelope(public, 422, "validation_error")

    @pytest.mark.parametrize(
        "body",
        [
            b'{"name": "Acme\\u0000"}',
            b'{"name": "Acme", "legal_name": "bell\\u0007"}',
            b'{"name": "Acme\\ud800"}',
            b'{"name": "Acme\\u007f"}',
        ],
    )
    async def test_control_characters_in_body_text_are_422(
        self, client: httpx.AsyncClient, tokens: Tokens, body: bytes
    ) -> None:
        response = await client.post(
            f"{ADMIN}/tenants",
            headers={**tokens.admin(), "content-type": "application/json"},
            content=body,
        )
        assert_envelope(response, 422, "validation_error")

    async def test_nested_free_form_text_is_checked(
        self, client: httpx.AsyncClient, tokens: Tokens, tenant: Any
    ) -> None:
        response = await client.post(
            f"{ADMIN}/invoices",
            headers=tokens.admin(),
            json={
                "tenant_id": tenant["id"],
                "items": [
                    {"name": "x", "unit_price": "1", "variant_info": {"colour": {"n": "r\x00"}}}
                ],
            },
        )
        error = assert_envelope(response, 422, "validation_error")
        assert "variant_info" in error["message"]

    async def test_line_breaks_and_tabs_stay_allowed(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await factory.create_invoice(tenant["id"], notes="line one\nline\ttwo\r\n")
        assert invoice["notes"] == "line one\nline\ttwo"

    async def test_invalid_utf8_is_a_documented_422(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.post(
            f"{ADMIN}/tenants",
            headers={**tokens.admin(), "content-type": "application/json"},
            content=b'{"name": "\xff\xfe"}',
        )
        error = assert_envelope(response, 422, "validation_error")
        assert error["details"][0]["type"] == "json_invalid"
        assert error["details"][0]["position"] == 10
        spec = (await client.get("/openapi.json")).json()
        assert "422" in spec["paths"]["/api/v1/admin/tenants"]["post"]["responses"]


class TestDates:
    @pytest.mark.parametrize(
        "params",
        [{"to": "0"}, {"from": "0"}, {"date_from": "1700000000"}, {"to": "2026-13-01"}],
    )
    async def test_non_dates_are_422(
        self, client: httpx.AsyncClient, tokens: Tokens, params: dict[str, str]
    ) -> None:
        response = await client.get(f"{ADMIN}/invoices", params=params, headers=tokens.admin())
        assert_envelope(response, 422, "validation_error")

    async def test_transactions_dates_too(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        response = await client.get(
            f"{ADMIN}/transactions", params={"date_to": "0"}, headers=tokens.admin()
        )
        assert_envelope(response, 422, "validation_error")

    async def test_body_dates_and_times(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        response = await client.post(
            f"{ADMIN}/invoices",
            headers=tokens.admin(),
            json={"tenant_id": tenant["id"], "subtotal": "1", "due_date": 0},
        )
        assert_envelope(response, 422, "validation_error")
        far = await client.post(
            f"{ADMIN}/invoices",
            headers=tokens.admin(),
            json={"tenant_id": tenant["id"], "subtotal": "1", "issue_date": "9999-12-31"},
        )
        assert_envelope(far, 422, "validation_error")
        invoice = await issued(factory, tenant["id"])
        unix = await client.post(
            f"{ADMIN}/invoices/{invoice['id']}/payments",
            headers=tokens.admin(),
            json={"amount": "1", "paid_at": 1700000000},
        )
        assert_envelope(unix, 422, "validation_error")
        # A full timestamp still counts as its calendar day (seed clients send them).
        stamped = await factory.create_invoice(tenant["id"], issue_date="2026-05-01T08:00:01Z")
        assert stamped["issue_date"] == "2026-05-01"


class TestMoneyInMessages:
    async def test_balance_in_the_error_has_the_currency_places(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued(factory, tenant["id"], subtotal="15.09")  # total 17.50
        response = await client.post(
            f"{ADMIN}/invoices/{invoice['id']}/payments",
            headers=tokens.admin(),
            json={"amount": "200", "method": "cash"},
        )
        error = assert_envelope(response, 400, "amount_exceeds_balance")
        assert "exceeds the balance 17.50 KES" in error["message"]
        assert "200.00 KES" in error["message"]
        assert "17.5000" not in error["message"]

    async def test_allocated_amount_has_the_currency_places(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued(factory, tenant["id"])
        response = await client.post(
            f"{ADMIN}/invoices/{invoice['id']}/payments",
            headers=tokens.admin(),
            json={"amount": "10", "method": "cash"},
        )
        assert response.status_code == 201
        assert response.json()["data"]["payment"]["allocated_amount"] == "10.00"
        listed = await client.get(
            f"{ADMIN}/invoices/{invoice['id']}/payments", headers=tokens.admin()
        )
        assert listed.json()["data"][0]["allocated_amount"] == "10.00"

    async def test_cash_change_in_gateway_data(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued(factory, tenant["id"], subtotal="15.09")
        paid = await client.post(
            f"{ADMIN}/invoices/{invoice['id']}/pay",
            headers=tokens.admin(),
            json={"payment_method": "cash", "amount_given": "20"},
        )
        assert paid.status_code == 200, paid.text
        cash = paid.json()["data"]["cash_transaction"]
        assert (cash["amount_due"], cash["change_amount"]) == ("17.50", "2.50")
        transactions = await client.get(
            f"{ADMIN}/transactions/invoice/{invoice['id']}", headers=tokens.admin()
        )
        assert transactions.json()["data"][0]["gateway_data"]["change"] == "2.50"


class TestQuickPayCurrency:
    async def test_a_currency_that_is_not_enabled_is_refused(
        self, client: httpx.AsyncClient, tokens: Tokens, tenant: Any
    ) -> None:
        response = await client.post(
            f"{ADMIN}/tenants/{tenant['id']}/quick-pay",
            headers=tokens.admin(),
            json={"amount": "10", "currency": "USD"},
        )
        error = assert_envelope(response, 400, "currency_not_enabled")
        assert error["message"].startswith("Currency USD is not enabled")
        wallet = await client.get(f"{ADMIN}/tenants/{tenant['id']}/wallet", headers=tokens.admin())
        assert wallet.json()["data"]["balances"] == []

    async def test_an_unknown_code_is_422(
        self, client: httpx.AsyncClient, tokens: Tokens, tenant: Any
    ) -> None:
        response = await client.post(
            f"{ADMIN}/tenants/{tenant['id']}/quick-pay",
            headers=tokens.admin(),
            json={"amount": "10", "currency": "XYZ"},
        )
        assert_envelope(response, 422, "validation_error")


class TestPaperSize:
    async def test_unknown_paper_size_is_refused_and_pdfs_still_render(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        response = await client.put(
            f"{ADMIN}/settings", headers=tokens.admin(), json={"default_paper_size": "Foo"}
        )
        error = assert_envelope(response, 422, "validation_error")
        assert "Letter" in error["message"]
        current = await client.get(f"{ADMIN}/settings", headers=tokens.admin())
        assert current.json()["data"]["default_paper_size"] == "A4"
        invoice = await issued(factory, tenant["id"])
        pdf = await client.get(f"{ADMIN}/invoices/{invoice['id']}/pdf", headers=tokens.admin())
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")

    async def test_known_names_are_stored_canonically(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.put(
            f"{ADMIN}/settings", headers=tokens.admin(), json={"default_paper_size": "us letter"}
        )
        assert response.status_code == 200
        assert response.json()["data"]["default_paper_size"] == "Letter"


class TestConsolidation:
    async def test_a_single_invoice_is_not_consolidated(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        only = await issued(factory, tenant["id"])
        for _ in range(2):
            response = await client.post(
                f"{ADMIN}/tenants/{tenant['id']}/consolidate", headers=tokens.admin(), json={}
            )
            error = assert_envelope(response, 409, "nothing_to_consolidate")
            assert "at least two" in error["message"]
        detail = await client.get(f"{ADMIN}/invoices/{only['id']}", headers=tokens.admin())
        assert detail.json()["data"]["status"] == "issued"
        assert detail.json()["data"]["invoice_number"] == only["invoice_number"]
        listed = await client.get(
            f"{ADMIN}/invoices", params={"tenant_id": tenant["id"]}, headers=tokens.admin()
        )
        assert listed.json()["pagination"]["total"] == 1

    async def test_two_are(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        first = await issued(factory, tenant["id"])
        second = await issued(factory, tenant["id"])
        response = await client.post(
            f"{ADMIN}/tenants/{tenant['id']}/consolidate", headers=tokens.admin(), json={}
        )
        assert response.status_code == 200, response.text
        assert set(response.json()["data"]["voided_invoice_ids"]) == {first["id"], second["id"]}


class TestCashOnDelivery:
    async def test_a_second_delivery_while_one_is_pending_is_409(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued(factory, tenant["id"])
        body = {"invoice_number": invoice["invoice_number"]}
        first = await client.post("/api/v1/payments/cod/create", json=body)
        assert first.status_code == 201, first.text
        second = await client.post("/api/v1/payments/cod/create", json=body)
        error = assert_envelope(second, 409, "cod_already_open")
        assert first.json()["data"]["reference"] in error["message"]
        # Still refused once the agent has collected the cash.
        collected = await client.post(
            f"{ADMIN}/payments/cod/{first.json()['data']['id']}/collect",
            headers=tokens.admin(),
            json={},
        )
        assert collected.status_code == 200
        again = await client.post("/api/v1/payments/cod/create", json=body)
        assert_envelope(again, 409, "cod_already_open")
        attempts = await client.get(
            f"{ADMIN}/transactions/invoice/{invoice['id']}", headers=tokens.admin()
        )
        assert len(attempts.json()["data"]) == 1


class TestMethods:
    async def test_unserved_method_is_405_with_every_allowed_method(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await issued(factory, tenant["id"])
        response = await client.patch(f"{ADMIN}/invoices/{invoice['id']}", headers=tokens.admin())
        assert_envelope(response, 405, "method_not_allowed")
        assert response.headers["allow"] == "DELETE, GET, PUT"

    async def test_a_fixed_path_is_not_shadowed_by_a_parameter_route(
        self, client: httpx.AsyncClient, tokens: Tokens, tenant: Any
    ) -> None:
        # DELETE /invoices/{invoice_id} must not run for /invoices/pending (it answered 403
        # to a tenant and 422 to staff).
        for headers in (tokens.owner(uuid.UUID(tenant["id"])), tokens.admin(), {}):
            response = await client.delete(f"{ADMIN}/invoices/pending", headers=headers)
            assert_envelope(response, 405, "method_not_allowed")
            assert response.headers["allow"] == "GET"

    async def test_options_and_public_pages(self, client: httpx.AsyncClient) -> None:
        response = await client.options("/api/v1/payment-methods")
        assert_envelope(response, 405, "method_not_allowed")
        assert response.headers["allow"] == "GET"


class TestQueryParameters:
    async def test_unknown_parameters_are_422(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.get(
            f"{ADMIN}/invoices", params={"stauts": "paid"}, headers=tokens.admin()
        )
        error = assert_envelope(response, 422, "validation_error")
        assert error["details"][0]["loc"] == ["query", "stauts"]
        assert "status" in error["details"][0]["message"]
        public = await client.get("/api/v1/payment-methods", params={"x": "1"})
        assert_envelope(public, 422, "validation_error")

    async def test_provider_return_pages_ignore_extra_parameters(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(
            "/api/v1/payments/pesapal/return",
            params={"OrderTrackingId": "unknown", "OrderNotificationType": "CALLBACKURL"},
        )
        assert_envelope(response, 404, "payment_attempt_not_found")


class TestFuzzFindings:
    async def test_pesapal_without_any_payer_contact_is_422_not_502(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        await factory.put_settings(enable_pesapal=True)
        invoice = await issued(factory, tenant["id"])
        response = await client.post(
            "/api/v1/payments/pesapal/initiate", json={"public_id": invoice["public_id"]}
        )
        assert_envelope(response, 422, "payer_contact_required")
        attempts = await client.get(
            f"{ADMIN}/transactions/invoice/{invoice['id']}", headers=tokens.admin()
        )
        assert attempts.json()["data"] == []

    async def test_public_base_url_must_be_an_http_url(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        # An unchecked value broke every link and the Pesapal IPN registration (a 502).
        for value in ("0", "javascript:alert(1)", "https://host/?q=1", "ftp://host"):
            response = await client.put(
                f"{ADMIN}/settings", headers=tokens.admin(), json={"public_base_url": value}
            )
            assert_envelope(response, 422, "validation_error")
        good = await client.put(
            f"{ADMIN}/settings",
            headers=tokens.admin(),
            json={"public_base_url": "https://billing.example.com/"},
        )
        assert good.json()["data"]["public_base_url"] == "https://billing.example.com"
        cleared = await client.put(
            f"{ADMIN}/settings", headers=tokens.admin(), json={"public_base_url": None}
        )
        assert cleared.json()["data"]["public_base_url"] is None

    async def test_transaction_filters_name_real_states(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        # 'issued' is an invoice state, not an attempt's: the typed column could not bind it.
        for params in ({"status": "issued"}, {"method": "barter"}):
            response = await client.get(
                f"{ADMIN}/transactions", params=params, headers=tokens.admin()
            )
            assert_envelope(response, 422, "validation_error")
        ok = await client.get(
            f"{ADMIN}/transactions",
            params={"status": "succeeded", "method": "cash"},
            headers=tokens.admin(),
        )
        assert ok.status_code == 200
