"""The operator's reports against the ledger tables read with SQL, in JSON and CSV."""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.core.clock import today_in
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.reports.conftest import Ledger
from tests.reports.support import line, pay

REPORTS = "/api/v1/admin/reports"


async def get_report(
    client: httpx.AsyncClient, tokens: Tokens, name: str, **params: Any
) -> dict[str, Any]:
    response = await client.get(f"{REPORTS}/{name}", params=params, headers=tokens.admin())
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def cancel(client: httpx.AsyncClient, tokens: Tokens, invoice_id: str) -> None:
    response = await client.put(
        f"/api/v1/admin/invoices/{invoice_id}/cancel", json={}, headers=tokens.admin()
    )
    assert response.status_code == 200, response.text


@pytest.fixture
async def revenue_book(client: httpx.AsyncClient, tokens: Tokens, factory: Factory) -> str:
    """One tenant: EUR and KES invoices over two months, payments by cash and bank, a refund,
    a cancelled invoice (credited in full) and a wallet payment."""
    tenant = await factory.create_tenant(default_currency="EUR")
    tenant_id = str(tenant["id"])
    march = await factory.create_invoice(
        tenant_id, status="issued", issue_date="2026-03-10", items=[line("100.00")]
    )
    april = await factory.create_invoice(
        tenant_id, status="issued", issue_date="2026-04-02", items=[line("45.55", "3")]
    )
    kes = await factory.create_invoice(
        tenant_id, currency="KES", status="issued", issue_date="2026-04-05", items=[line("999")]
    )
    dropped = await factory.create_invoice(
        tenant_id, status="issued", issue_date="2026-04-06", items=[line("20.00")]
    )
    await factory.create_invoice(tenant_id, issue_date="2026-04-07")  # a draft
    await cancel(client, tokens, dropped["id"])
    await pay(client, tokens, march["id"], "116.00", paid_at="2026-03-15T10:00:00Z")
    payment = await pay(
        client, tokens, april["id"], "50.00", method="bank", paid_at="2026-04-20T10:00:00Z"
    )
    await pay(client, tokens, kes["id"], "500", paid_at="2026-04-21T10:00:00Z")
    refund = await client.post(
        f"/api/v1/admin/payments/{payment['payment']['id']}/refund",
        json={"amount": "20.00"},
        headers=tokens.admin(),
    )
    assert refund.status_code in (200, 201), refund.text
    credit = await client.post(
        f"/api/v1/admin/tenants/{tenant_id}/quick-pay",
        json={"amount": "7.00", "currency": "USD"},
        headers=tokens.admin(),
    )
    assert credit.status_code == 200, credit.text
    return tenant_id


class TestRevenue:
    async def test_revenue_equals_the_ledger(
        self, client: httpx.AsyncClient, tokens: Tokens, ledger: Ledger, revenue_book: str
    ) -> None:
        data = await get_report(
            client,
            tokens,
            "revenue",
            tenant_id=revenue_book,
            **{"from": "2020-01-01", "to": "2029-12-31"},
        )
        tenant = uuid.UUID(revenue_book)
        expected: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(
            lambda: defaultdict(Decimal)
        )
        for measure, sql in (
            (
                "invoiced",
                "SELECT to_char(issue_date, 'YYYY-MM') m, currency, total_amount a"
                " FROM invoices WHERE tenant_id = $1 AND invoice_number IS NOT NULL",
            ),
            (
                "credited",
                "SELECT to_char(issue_date, 'YYYY-MM') m, currency, total_amount a"
                " FROM credit_notes WHERE tenant_id = $1",
            ),
            (
                "collected",
                "SELECT to_char(paid_at AT TIME ZONE 'UTC', 'YYYY-MM') m, currency, amount a"
                " FROM payments WHERE tenant_id = $1 AND method <> 'wallet'",
            ),
            (
                "refunded",
                "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') m, currency, amount a"
                " FROM refunds WHERE tenant_id = $1",
            ),
        ):
            for row in await ledger.rows(sql, tenant):
                expected[(row["m"], row["currency"])][measure] += row["a"]
        got = {
            (row["month"], row["currency"]): {
                name: Decimal(row[name])
                for name in ("invoiced", "credited", "collected", "refunded")
                if Decimal(row[name])
            }
            for row in data["rows"]
        }
        assert got == {
            key: {k: v for k, v in value.items() if v} for key, value in expected.items()
        }
        march = next(r for r in data["rows"] if (r["month"], r["currency"]) == ("2026-03", "EUR"))
        assert (march["invoiced"], march["collected"]) == ("116.00", "116.00")
        april = next(r for r in data["rows"] if (r["month"], r["currency"]) == ("2026-04", "EUR"))
        # 136.65 + 21.86 VAT and the cancelled 23.20; collected 50 by bank
        assert (april["invoiced"], april["collected"]) == ("181.71", "50.00")
        for row in data["rows"]:
            assert Decimal(row["net_collected"]) == Decimal(row["collected"]) - Decimal(
                row["refunded"]
            )

    async def test_csv_by_parameter_and_by_accept_header(
        self, client: httpx.AsyncClient, tokens: Tokens, revenue_book: str
    ) -> None:
        params = {"tenant_id": revenue_book, "from": "2026-01-01", "to": "2026-12-31"}
        data = await get_report(client, tokens, "revenue", **params)
        by_param = await client.get(
            f"{REPORTS}/revenue", params={**params, "format": "csv"}, headers=tokens.admin()
        )
        by_header = await client.get(
            f"{REPORTS}/revenue",
            params=params,
            headers={**tokens.admin(), "Accept": "text/csv"},
        )
        for response in (by_param, by_header):
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith("text/csv")
            rows = list(csv.DictReader(io.StringIO(response.text)))
            assert rows == [{k: str(v) for k, v in row.items()} for row in data["rows"]]
        json_wins = await client.get(
            f"{REPORTS}/revenue",
            params={**params, "format": "json"},
            headers={**tokens.admin(), "Accept": "text/csv"},
        )
        assert json_wins.json()["data"] == data


class TestPayments:
    async def test_payments_by_method_equal_the_ledger(
        self, client: httpx.AsyncClient, tokens: Tokens, ledger: Ledger, revenue_book: str
    ) -> None:
        data = await get_report(
            client,
            tokens,
            "payments",
            tenant_id=revenue_book,
            **{"from": "2000-01-01", "to": "2099-12-31"},
        )
        rows = await ledger.rows(
            "SELECT p.currency, p.method, count(*) AS n, sum(p.amount) AS amount,"
            " coalesce((SELECT sum(r.amount) FROM refunds r JOIN payments q ON q.id = r.payment_id"
            "   WHERE q.tenant_id = $1 AND q.currency = p.currency AND q.method = p.method), 0)"
            "   AS refunded"
            " FROM payments p WHERE p.tenant_id = $1 GROUP BY p.currency, p.method",
            uuid.UUID(revenue_book),
        )
        assert {
            (r["currency"], r["method"]): (r["count"], Decimal(r["amount"]), Decimal(r["refunded"]))
            for r in data["rows"]
        } == {(r["currency"], r["method"]): (r["n"], r["amount"], r["refunded"]) for r in rows}
        bank = next(r for r in data["rows"] if r["method"] == "bank")
        assert (bank["amount"], bank["refunded"], bank["provider"]) == ("50.00", "20.00", None)


# -- receivables ageing ------------------------------------------------------------------------

BASE = today_in("UTC") - timedelta(days=150)
"""Every due date lies before today, so each as-of day drawn below is before the payment
recorded today: every invoice still owes its total then."""
OFFSETS = (0, 1, 2, 29, 30, 31, 32, 59, 60, 61, 62, 89, 90, 91, 92, 120)


@pytest.fixture(scope="module")
def ageing_state() -> dict[str, Any]:
    return {}


@pytest.fixture
async def ageing_book(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory, ageing_state: dict[str, Any]
) -> dict[str, Any]:
    """One tenant, one invoice due on each of ``OFFSETS`` days before ``BASE`` (issued 200
    days before it), built once per module."""
    if not ageing_state:
        tenant = await factory.create_tenant(default_currency="EUR")
        due: list[tuple[date, Decimal]] = []
        for n, offset in enumerate(OFFSETS):
            invoice = await factory.create_invoice(
                str(tenant["id"]),
                status="issued",
                issue_date=(BASE - timedelta(days=200)).isoformat(),
                due_date=(BASE - timedelta(days=offset)).isoformat(),
                items=[line(f"{n + 1}.01")],
            )
            due.append((BASE - timedelta(days=offset), Decimal(invoice["total_amount"])))
            if n == 3:
                await pay(client, tokens, invoice["id"], "1.00")
        ageing_state.update(tenant_id=str(tenant["id"]), due=due)
    return ageing_state


def bucket(days_late: int) -> str:
    if days_late <= 0:
        return "current"
    for upper, name in ((30, "days_1_30"), (60, "days_31_60"), (90, "days_61_90")):
        if days_late <= upper:
            return name
    return "over_90"


class TestAgeing:
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(shift=st.integers(min_value=-130, max_value=140))
    async def test_buckets_at_every_boundary(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        ageing_book: dict[str, Any],
        shift: int,
    ) -> None:
        as_of = BASE + timedelta(days=shift)
        data = await get_report(
            client,
            tokens,
            "receivables",
            tenant_id=ageing_book["tenant_id"],
            as_of=as_of.isoformat(),
        )
        expected: dict[str, Decimal] = defaultdict(Decimal)
        for due_date, total in ageing_book["due"]:
            expected[bucket((as_of - due_date).days)] += total
        (row,) = data["rows"]
        for name in ("current", "days_1_30", "days_31_60", "days_61_90", "over_90"):
            assert Decimal(row[name]) == expected[name], (name, as_of)
        assert Decimal(row["total"]) == sum(expected.values())
        assert row["invoice_count"] == len(OFFSETS)

    async def test_today_matches_the_invoices_balances(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        ledger: Ledger,
        ageing_book: dict[str, Any],
    ) -> None:
        data = await get_report(client, tokens, "receivables", tenant_id=ageing_book["tenant_id"])
        owed = await ledger.value(
            "SELECT sum(total_amount - amount_credited - amount_paid) FROM invoices"
            " WHERE tenant_id = $1 AND status IN ('issued', 'sent')",
            uuid.UUID(ageing_book["tenant_id"]),
        )
        (row,) = data["rows"]
        assert Decimal(row["total"]) == owed
        assert Decimal(row["total"]) == sum(t for _, t in ageing_book["due"]) - Decimal("1.00")
        assert row["current"] == "0.00"  # every due date has passed

    async def test_before_anything_was_issued_nothing_is_owed(
        self, client: httpx.AsyncClient, tokens: Tokens, ageing_book: dict[str, Any]
    ) -> None:
        data = await get_report(
            client,
            tokens,
            "receivables",
            tenant_id=ageing_book["tenant_id"],
            as_of=(BASE - timedelta(days=201)).isoformat(),
        )
        assert data["rows"] == []


# -- MRR -----------------------------------------------------------------------------------------


class TestMrr:
    async def test_movements_add_up_and_equal_the_segments(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, ledger: Ledger
    ) -> None:
        from tests.reports.test_overview import subscribe

        tenant = await factory.create_tenant(default_currency="EUR")
        await subscribe(client, tokens, str(tenant["id"]))  # 2 x 30.00 a month
        today = today_in("UTC")
        data = await get_report(client, tokens, "mrr", tenant_id=str(tenant["id"]))
        current = data["rows"][-1]
        assert (current["month"], current["currency"]) == (today.strftime("%Y-%m"), "EUR")
        assert (current["mrr_end"], current["arr_end"], current["subscriptions_end"]) == (
            "60.00",
            "720.00",
            1,
        )
        assert current["new"] == ("60.00" if today.day > 1 else "0.00")
        for row in data["rows"]:
            assert Decimal(row["mrr_end"]) == Decimal(row["mrr_start"]) + Decimal(
                row["new"]
            ) + Decimal(row["expansion"]) - Decimal(row["contraction"]) - Decimal(row["churn"])
        segments = await ledger.value(
            "SELECT sum(p.unit_amount * g.quantity) FROM subscription_segments g"
            " JOIN prices p ON p.id = g.price_id"
            " WHERE g.tenant_id = $1 AND g.start_date <= $2 AND $2 < g.end_date",
            tenant["id"] if isinstance(tenant["id"], uuid.UUID) else uuid.UUID(tenant["id"]),
            today,
        )
        assert Decimal(current["mrr_end"]) == segments


class TestAccess:
    @pytest.mark.parametrize("name", ["revenue", "receivables", "mrr", "payments"])
    async def test_only_operator_staff(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, name: str
    ) -> None:
        tenant = await factory.create_tenant()
        reseller = await factory.create_reseller()
        as_tenant = await client.get(
            f"{REPORTS}/{name}", headers=tokens.owner(uuid.UUID(tenant["id"]))
        )
        as_reseller = await client.get(
            f"{REPORTS}/{name}", headers=tokens.reseller(uuid.UUID(reseller["id"]))
        )
        assert (as_tenant.status_code, as_reseller.status_code) == (403, 403)
        assert (await client.get(f"{REPORTS}/{name}")).status_code == 401

    @pytest.mark.parametrize(
        ("name", "params"),
        [
            ("revenue", {"from": "2026-02-30"}),
            ("revenue", {"from": "2026-05-01", "to": "2026-04-01"}),
            ("revenue", {"from": "2000-01-01", "to": "2026-04-01"}),
            ("mrr", {"to": "not a date"}),
            ("receivables", {"as_of": "2026-13-01"}),
            ("payments", {"format": "xml"}),
            ("payments", {"tenant_id": "x"}),
        ],
    )
    async def test_bad_parameters_are_422_envelopes(
        self, client: httpx.AsyncClient, tokens: Tokens, name: str, params: dict[str, str]
    ) -> None:
        response = await client.get(f"{REPORTS}/{name}", params=params, headers=tokens.admin())
        assert response.status_code == 422, response.text
        assert set(response.json()) == {"error", "meta"}
