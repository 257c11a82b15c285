"""Invoice routes over HTTP: creation, money, edits, lifecycle, filters and scoping."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

INVOICES = "/api/v1/admin/invoices"


@pytest.fixture
async def tenant(factory: Factory) -> Any:
    return await factory.create_tenant(default_currency="KES", country_code="KE")


@pytest.fixture(autouse=True)
async def baseline_settings(factory: Factory) -> None:
    await factory.put_settings(
        enable_cash=True,
        enable_bank_payments=True,
        enable_mpesa=False,
        enable_cash_on_delivery=False,
        enable_pesapal=False,
        enable_stripe=False,
        enable_mollie=False,
        default_tax_rate="16.00",
        enabled_currencies=["EUR", "KES", "JPY"],
        default_due_days=14,
        timezone="UTC",
    )


class TestCreate:
    async def test_seed_001_subtotal_and_discount(self, factory: Factory, tenant: Any) -> None:
        invoice = await factory.create_invoice(
            tenant["id"], subtotal="100.00", discount_amount="10.00", notes="Test invoice"
        )
        assert invoice["subtotal"] == "100.00"
        assert invoice["discount_amount"] == "10.00"
        assert invoice["tax_amount"] == "14.40"
        assert invoice["total_amount"] == "104.40"
        assert invoice["balance"] == "104.40"
        assert invoice["amount_paid"] == "0.00"
        assert invoice["status"] == "draft"
        assert invoice["payment_status"] == "pending"
        assert invoice["currency"] == "KES"
        assert len(invoice["items"]) == 1
        assert invoice["items"][0]["line_total"] == "100.00"
        assert invoice["tax_breakdown"] == [
            {"category": "S", "rate": "16.00", "taxable_amount": "90.00", "tax_amount": "14.40"}
        ]

    async def test_lines_with_mixed_rates_and_document_discount(
        self, factory: Factory, tenant: Any
    ) -> None:
        invoice = await factory.create_invoice(
            tenant["id"],
            currency="EUR",
            discount_amount="5.01",
            items=[
                {"name": "A", "quantity": "1.5", "unit_price": "33.333", "tax_rate": "19"},
                {"name": "B", "quantity": "3", "unit_price": "7.77", "tax_rate": "7"},
            ],
        )
        assert [item["line_total"] for item in invoice["items"]] == ["50.00", "23.31"]
        assert invoice["subtotal"] == "73.31"
        groups = {group["rate"]: group for group in invoice["tax_breakdown"]}
        assert groups["19.00"]["taxable_amount"] == "46.58"
        assert groups["7.00"]["taxable_amount"] == "21.72"
        assert invoice["tax_amount"] == "10.37"
        assert invoice["total_amount"] == "78.67"

    async def test_zero_decimal_currency(self, factory: Factory, tenant: Any) -> None:
        invoice = await factory.create_invoice(
            tenant["id"],
            currency="JPY",
            items=[{"name": "Yen", "quantity": "3", "unit_price": "333.5", "tax_rate": "10"}],
        )
        assert invoice["items"][0]["line_total"] == "1001"
        assert invoice["tax_amount"] == "100"
        assert invoice["total_amount"] == "1101"

    async def test_create_paid_with_enabled_method(self, factory: Factory, tenant: Any) -> None:
        invoice = await factory.create_invoice(
            tenant["id"], subtotal="100.00", status="paid", payment_method="cash"
        )
        assert invoice["status"] == "paid"
        assert invoice["payment_status"] == "paid"
        assert invoice["amount_paid"] == "116.00"
        assert invoice["balance"] == "0.00"
        assert invoice["paid_at"] is not None
        assert invoice["invoice_number"]

    async def test_disabled_method_has_the_exact_message(
        self, client: httpx.AsyncClient, tokens: Tokens, tenant: Any
    ) -> None:
        response = await client.post(
            INVOICES,
            headers=tokens.admin(),
            json={"tenant_id": tenant["id"], "subtotal": "10", "payment_method": "mpesa"},
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "payment_method_not_enabled"
        assert (
            response.json()["error"]["message"]
            == "Payment method 'mpesa' is not enabled. Enabled methods: cash, bank"
        )

    @pytest.mark.parametrize(
        ("body", "status", "code"),
        [
            (
                {"subtotal": "10", "items": [{"name": "x", "unit_price": "1"}]},
                422,
                "validation_error",
            ),
            ({"subtotal": "10", "discount_amount": "11"}, 422, "invoice_invalid"),
            ({"subtotal": "-1"}, 422, "validation_error"),
            ({"subtotal": 10.5, "currency": "XXX"}, 422, "validation_error"),
            ({"subtotal": "10", "currency": "USD"}, 400, "currency_not_enabled"),
            (
                {"items": [{"name": "x", "unit_price": "1", "tax_category": "E"}]},
                422,
                "invoice_invalid",
            ),
            (
                {"items": [{"name": "x", "unit_price": "1", "tax_rate": "0", "tax_category": "S"}]},
                422,
                "invoice_invalid",
            ),
            ({"items": [{"unit_price": "1"}]}, 422, "invoice_invalid"),
            ({"items": [{"name": "x"}]}, 422, "invoice_invalid"),
            (
                {"items": [{"name": "x", "unit_price": "1", "product_id": str(uuid.uuid4())}]},
                422,
                "invoice_invalid",
            ),
            ({"subtotal": "1", "payment_status": "partial"}, 400, "payment_status_not_settable"),
            (
                {"subtotal": "1", "issue_date": "2026-02-10", "due_date": "2026-02-01"},
                422,
                "invoice_invalid",
            ),
        ],
    )
    async def test_bad_input(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        tenant: Any,
        body: dict[str, Any],
        status: int,
        code: str,
    ) -> None:
        response = await client.post(
            INVOICES, headers=tokens.admin(), json={"tenant_id": tenant["id"], **body}
        )
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code

    async def test_exempt_line_with_reason(self, factory: Factory, tenant: Any) -> None:
        invoice = await factory.create_invoice(
            tenant["id"],
            items=[
                {
                    "name": "Training",
                    "unit_price": "50",
                    "tax_category": "E",
                    "tax_exemption_reason_code": "VATEX-EU-132",
                }
            ],
        )
        assert invoice["tax_amount"] == "0.00"
        assert invoice["items"][0]["tax_category"] == "E"

    async def test_unknown_tenant_is_404(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        response = await client.post(
            INVOICES, headers=tokens.admin(), json={"tenant_id": str(uuid.uuid4()), "subtotal": "1"}
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "tenant_not_found"

    async def test_due_date_defaults_from_settings(self, factory: Factory, tenant: Any) -> None:
        invoice = await factory.create_invoice(tenant["id"], issue_date="2026-03-01", subtotal="1")
        assert invoice["due_date"] == "2026-03-15"

    async def test_seed_style_datetime_issue_date(self, factory: Factory, tenant: Any) -> None:
        invoice = await factory.create_invoice(
            tenant["id"], issue_date="2025-01-15T14:30:22", subtotal="1"
        )
        assert invoice["issue_date"] == "2025-01-15"

    async def test_public_id_is_unguessable(self, factory: Factory, tenant: Any) -> None:
        invoice = await factory.create_invoice(tenant["id"], subtotal="1")
        assert len(invoice["public_id"]) >= 16
        assert invoice["public_url"].endswith(f"/api/v1/public/invoices/{invoice['public_id']}")


class TestEditing:
    async def test_put_and_items_on_a_draft(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await factory.create_invoice(tenant["id"])
        url = f"{INVOICES}/{invoice['id']}"
        updated = await client.put(
            url, headers=tokens.admin(), json={"notes": "Edited", "discount_amount": "10"}
        )
        assert updated.status_code == 200
        assert updated.json()["data"]["notes"] == "Edited"
        assert updated.json()["data"]["total_amount"] == "104.40"

        added = await client.post(
            f"{url}/items",
            headers=tokens.admin(),
            json={
                "name": "Extra",
                "quantity": "2",
                "unit_price": "5",
                "variant_info": {"size": "L"},
            },
        )
        assert added.status_code == 201
        data = added.json()["data"]
        assert len(data["items"]) == 2
        assert data["subtotal"] == "110.00"
        extra = data["items"][1]
        assert extra["variant_info"] == {"size": "L"}

        removed = await client.delete(f"{url}/items/{extra['id']}", headers=tokens.admin())
        assert removed.status_code == 200
        assert removed.json()["data"]["subtotal"] == "100.00"
        missing = await client.delete(f"{url}/items/{extra['id']}", headers=tokens.admin())
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "invoice_item_not_found"

    async def test_issued_invoice_is_not_editable(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await factory.create_invoice(tenant["id"], status="issued")
        url = f"{INVOICES}/{invoice['id']}"
        for response in (
            await client.put(url, headers=tokens.admin(), json={"notes": "x"}),
            await client.post(
                f"{url}/items", headers=tokens.admin(), json={"name": "x", "unit_price": "1"}
            ),
            await client.delete(f"{url}/items/{invoice['items'][0]['id']}", headers=tokens.admin()),
        ):
            assert response.status_code == 409
            assert response.json()["error"]["code"] == "invoice_not_editable"

    async def test_put_tax_rate_for_all_lines(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        rate = await factory.post(
            "/api/v1/admin/tax-rates",
            {"name": "Reduced", "rate": "8", "category": "S"},
            tokens.admin(),
        )
        invoice = await factory.create_invoice(tenant["id"], subtotal="100")
        response = await client.put(
            f"{INVOICES}/{invoice['id']}", headers=tokens.admin(), json={"tax_rate_id": rate["id"]}
        )
        assert response.status_code == 200
        assert response.json()["data"]["tax_amount"] == "8.00"


class TestLifecycle:
    async def test_status_paid_records_a_settling_payment(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await factory.create_invoice(tenant["id"], subtotal="100.00")
        response = await client.patch(
            f"{INVOICES}/{invoice['id']}/status",
            headers=tokens.admin(),
            json={"status": "paid", "payment_status": "paid", "payment_method": "cash"},
        )
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["status"] == "paid"
        assert data["payment_method"] == "cash"
        assert data["amount_paid"] == "116.00"
        assert data["balance"] == "0.00"
        assert data["invoice_number"]

    async def test_status_method_must_be_enabled(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await factory.create_invoice(tenant["id"])
        response = await client.patch(
            f"{INVOICES}/{invoice['id']}/status",
            headers=tokens.admin(),
            json={"status": "paid", "payment_method": "mpesa"},
        )
        assert response.status_code == 400
        assert response.json()["error"]["message"] == (
            "Payment method 'mpesa' is not enabled. Enabled methods: cash, bank"
        )
        unchanged = await client.get(f"{INVOICES}/{invoice['id']}", headers=tokens.admin())
        assert unchanged.json()["data"]["status"] == "draft"

    async def test_sent_then_cancel_keeps_number(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await factory.create_invoice(tenant["id"])
        url = f"{INVOICES}/{invoice['id']}"
        sent = await client.patch(f"{url}/status", headers=tokens.admin(), json={"status": "sent"})
        assert sent.json()["data"]["status"] == "sent"
        number = sent.json()["data"]["invoice_number"]
        cancelled = await client.put(f"{url}/cancel", headers=tokens.admin())
        assert cancelled.status_code == 200
        assert cancelled.json()["data"]["status"] == "cancelled"
        assert cancelled.json()["data"]["invoice_number"] == number
        again = await client.post(f"{url}/void", headers=tokens.admin())
        assert again.status_code == 409
        paid = await client.patch(f"{url}/status", headers=tokens.admin(), json={"status": "paid"})
        assert paid.status_code == 409
        assert paid.json()["error"]["code"] == "invoice_cancelled"

    async def test_void_alias_on_status(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await factory.create_invoice(tenant["id"], status="finalized")
        assert invoice["status"] == "issued"
        response = await client.patch(
            f"{INVOICES}/{invoice['id']}/status", headers=tokens.admin(), json={"status": "void"}
        )
        assert response.json()["data"]["status"] == "cancelled"

    async def test_paid_invoice_cannot_be_cancelled_deleted_or_edited(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await factory.create_invoice(tenant["id"], status="paid", payment_method="bank")
        url = f"{INVOICES}/{invoice['id']}"
        assert (await client.put(f"{url}/cancel", headers=tokens.admin())).status_code == 409
        deleted = await client.delete(url, headers=tokens.admin())
        assert deleted.status_code == 409
        assert deleted.json()["error"]["code"] == "invoice_not_deletable"
        assert (
            await client.put(url, headers=tokens.admin(), json={"notes": "x"})
        ).status_code == 409
        back = await client.patch(f"{url}/status", headers=tokens.admin(), json={"status": "draft"})
        assert back.status_code == 409

    async def test_overdue_cannot_be_set(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await factory.create_invoice(tenant["id"], status="issued")
        response = await client.patch(
            f"{INVOICES}/{invoice['id']}/status", headers=tokens.admin(), json={"status": "overdue"}
        )
        assert response.status_code == 409

    async def test_delete_rules(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        tenant: Any,
    ) -> None:
        draft = await factory.create_invoice(tenant["id"])
        reseller = await factory.create_reseller()
        forbidden = await client.delete(
            f"{INVOICES}/{draft['id']}", headers=tokens.reseller(reseller["id"])
        )
        assert forbidden.status_code == 403
        deleted = await client.delete(f"{INVOICES}/{draft['id']}", headers=tokens.admin())
        assert deleted.status_code == 200
        gone = await client.get(f"{INVOICES}/{draft['id']}", headers=tokens.admin())
        assert gone.status_code == 404
        issued = await factory.create_invoice(tenant["id"], status="issued")
        numbered = await client.delete(f"{INVOICES}/{issued['id']}", headers=tokens.admin())
        assert numbered.status_code == 409

    async def test_empty_draft_cannot_be_issued(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        invoice = await factory.create_invoice(tenant["id"], items=[])
        response = await client.post(f"{INVOICES}/{invoice['id']}/issue", headers=tokens.admin())
        assert response.status_code == 422


class TestListsAndFilters:
    async def test_filters(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, tenant: Any
    ) -> None:
        marker = uuid.uuid4().hex[:12]
        paid = await factory.create_invoice(
            tenant["id"],
            status="paid",
            payment_method="cash",
            notes=f"{marker} paid",
            issue_date="2026-01-10",
        )
        overdue = await factory.create_invoice(
            tenant["id"],
            status="issued",
            notes=f"{marker} overdue",
            issue_date="2020-01-01",
            due_date="2020-01-31",
        )
        draft = await factory.create_invoice(
            tenant["id"], notes=f"{marker} draft", issue_date="2026-02-01"
        )

        async def ids(path: str = "", **params: str) -> set[str]:
            response = await client.get(
                f"{INVOICES}{path}", headers=tokens.admin(), params={"q": marker, **params}
            )
            assert response.status_code == 200, response.text
            return {item["id"] for item in response.json()["data"]}

        assert await ids() == {paid["id"], overdue["id"], draft["id"]}
        assert await ids(status="paid") == {paid["id"]}
        assert await ids("/paid") == {paid["id"]}
        assert await ids(status="overdue") == {overdue["id"]}
        assert await ids("/overdue") == {overdue["id"]}
        assert await ids("/pending") == {overdue["id"]}
        assert await ids(status="issued") == set()
        assert await ids(status="draft") == {draft["id"]}
        assert await ids(payment_status="paid") == {paid["id"]}
        assert await ids(payment_status="pending") == {overdue["id"], draft["id"]}
        assert await ids(payment_method="cash") == {paid["id"]}
        assert await ids(date_from="2026-01-01") == {paid["id"], draft["id"]}
        assert await ids(**{"from": "2026-01-01", "to": "2026-01-31"}) == {paid["id"]}
        assert await ids(tenant_id=tenant["id"]) == {paid["id"], overdue["id"], draft["id"]}
        listed = await client.get(f"{INVOICES}/{overdue['id']}", headers=tokens.admin())
        assert listed.json()["data"]["status"] == "overdue"

        ordered = await client.get(
            INVOICES, headers=tokens.admin(), params={"q": marker, "sort": "issue_date"}
        )
        assert [item["id"] for item in ordered.json()["data"]] == [
            overdue["id"],
            paid["id"],
            draft["id"],
        ]
        for sort in ("secret", "--issue_date", "-", "issue_date-", " issue_date"):
            bad_sort = await client.get(INVOICES, headers=tokens.admin(), params={"sort": sort})
            assert bad_sort.status_code == 422, sort
            assert "sort must be one of issue_date" in bad_sort.json()["error"]["message"]

    async def test_search_by_customer_name(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        name = f"Kamau {uuid.uuid4().hex[:8]}"
        tenant = await factory.create_tenant(name=name)
        invoice = await factory.create_invoice(tenant["id"])
        response = await client.get(INVOICES, headers=tokens.admin(), params={"q": name})
        assert [item["id"] for item in response.json()["data"]] == [invoice["id"]]
        assert response.json()["data"][0]["customer_name"] == name


class TestScoping:
    async def test_reseller_sees_only_its_subtree(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        mine = await factory.create_reseller()
        theirs = await factory.create_reseller()
        my_tenant = await factory.create_tenant(reseller_id=mine["id"])
        their_tenant = await factory.create_tenant(reseller_id=theirs["id"])
        my_invoice = await factory.create_invoice(my_tenant["id"])
        their_invoice = await factory.create_invoice(their_tenant["id"])
        headers = tokens.reseller(mine["id"])

        listed = await client.get(INVOICES, headers=headers, params={"per_page": 500})
        listed_ids = {item["id"] for item in listed.json()["data"]}
        assert my_invoice["id"] in listed_ids
        assert their_invoice["id"] not in listed_ids

        assert (
            await client.get(f"{INVOICES}/{my_invoice['id']}", headers=headers)
        ).status_code == 200
        for response in (
            await client.get(f"{INVOICES}/{their_invoice['id']}", headers=headers),
            await client.put(
                f"{INVOICES}/{their_invoice['id']}", headers=headers, json={"notes": "x"}
            ),
            await client.patch(
                f"{INVOICES}/{their_invoice['id']}/status",
                headers=headers,
                json={"status": "issued"},
            ),
        ):
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "invoice_not_found"
        create = await client.post(
            INVOICES, headers=headers, json={"tenant_id": their_tenant["id"], "subtotal": "1"}
        )
        assert create.status_code == 404

    async def test_tenant_reads_only_its_own(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        first = await factory.create_tenant()
        second = await factory.create_tenant()
        mine = await factory.create_invoice(first["id"], status="issued")
        theirs = await factory.create_invoice(second["id"], status="issued")
        headers = tokens.member(uuid.UUID(first["id"]))

        listed = await client.get(
            "/api/v1/billing/invoices", headers=headers, params={"page_size": 100}
        )
        assert listed.status_code == 200
        assert [item["id"] for item in listed.json()["data"]] == [mine["id"]]
        detail = await client.get(f"/api/v1/billing/invoices/{mine['id']}", headers=headers)
        assert detail.status_code == 200
        assert len(detail.json()["data"]["items"]) == 1
        other = await client.get(f"/api/v1/billing/invoices/{theirs['id']}", headers=headers)
        assert other.status_code == 404
        filtered = await client.get(
            "/api/v1/billing/invoices", headers=headers, params={"status": "paid"}
        )
        assert filtered.json()["data"] == []
        admin_route = await client.get(INVOICES, headers=headers)
        assert admin_route.status_code == 403
