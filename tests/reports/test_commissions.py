"""The commission report (seed 003) against sums computed with SQL over the invoices."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.reports.conftest import Ledger
from tests.reports.support import line, pay

COMMISSIONS = "/api/v1/admin/commissions"


async def report(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    response = await client.get(COMMISSIONS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def expected(
    ledger: Ledger, reseller_id: str, *, only_paid: bool, earned_paid_only: bool
) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(month, currency) -> (invoiced, commission, earned), recomputed from each invoice's
    net and frozen rate (not from the stored amount) and rounded per invoice."""
    rows = await ledger.rows(
        "SELECT to_char(issue_date, 'YYYY-MM') AS month, currency, status,"
        " subtotal - discount_amount AS net, commission_rate FROM invoices"
        " WHERE reseller_id = $1 AND status NOT IN ('draft', 'cancelled')"
        + (" AND status = 'paid'" if only_paid else ""),
        uuid.UUID(reseller_id),
    )
    sums: dict[tuple[str, str], list[Decimal]] = {}
    for row in rows:
        commission = (row["net"] * row["commission_rate"] / 100).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        acc = sums.setdefault((row["month"], row["currency"]), [Decimal(0)] * 3)
        acc[0] += row["net"]
        acc[1] += commission
        if row["status"] == "paid" or not earned_paid_only:
            acc[2] += commission
    return {key: tuple(f"{v:.2f}" for v in acc) for key, acc in sums.items()}  # type: ignore[misc]


def by_month(data: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str, str]]:
    return {
        (row["month"], row["currency"]): (row["invoiced"], row["commission"], row["earned"])
        for row in data["rows"]
    }


@pytest.fixture
async def reseller_book(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> dict[str, Any]:
    """A reseller at 10 % with a EUR and a KES tenant over three months; its rate then rises
    to 15 % and one more invoice is issued. Another reseller (20 %) has a tenant of its own."""
    reseller = await factory.create_reseller(commission_rate="10.00")
    other = await factory.create_reseller(commission_rate="20.00")
    child = await factory.create_reseller(parent_id=reseller["id"], commission_rate="5.00")
    eur = await factory.create_tenant(reseller_id=reseller["id"], default_currency="EUR")
    kes = await factory.create_tenant(reseller_id=reseller["id"], default_currency="KES")
    foreign = await factory.create_tenant(reseller_id=other["id"], default_currency="EUR")
    invoices = []
    for tenant, day, price, discount in (
        (eur, "2026-03-05", "100.00", "0"),
        (eur, "2026-03-20", "33.33", "0"),
        (eur, "2026-04-02", "250.05", "10.00"),
        (kes, "2026-04-10", "1999.99", "0"),
        (kes, "2026-05-01", "12.35", "0"),
        (foreign, "2026-04-15", "400.00", "0"),
    ):
        invoices.append(
            await factory.create_invoice(
                tenant["id"],
                status="issued",
                issue_date=day,
                due_date="2026-06-30",
                items=[line(price)],
                discount_amount=discount,
            )
        )
    await factory.create_invoice(eur["id"], issue_date="2026-03-06")  # a draft earns nothing
    cancelled = await factory.create_invoice(
        eur["id"], status="issued", issue_date="2026-03-07", items=[line("70.00")]
    )
    response = await client.put(
        f"/api/v1/admin/invoices/{cancelled['id']}/cancel", json={}, headers=tokens.admin()
    )
    assert response.status_code == 200, response.text
    # Paid in full: the first EUR, the KES of April and the foreign one; part of the second.
    for invoice in (invoices[0], invoices[3], invoices[5]):
        await pay(client, tokens, invoice["id"], invoice["total_amount"])
    await pay(client, tokens, invoices[1]["id"], "10.00")
    raised = await client.patch(
        f"/api/v1/admin/resellers/{reseller['id']}",
        json={"commission_rate": "15.00"},
        headers=tokens.admin(),
    )
    assert raised.status_code == 200, raised.text
    late = await factory.create_invoice(
        eur["id"], status="issued", issue_date="2026-05-20", items=[line("80.00")]
    )
    await pay(client, tokens, late["id"], late["total_amount"])
    return {
        "reseller": reseller,
        "other": other,
        "child": child,
        "eur": eur,
        "invoices": [*invoices, late],
    }


class TestFigures:
    async def test_paid_report_equals_sql_over_invoices(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        ledger: Ledger,
        reseller_book: dict[str, Any],
    ) -> None:
        reseller_id = reseller_book["reseller"]["id"]
        data = await report(client, tokens.reseller(uuid.UUID(reseller_id)))
        assert data["status"] == "paid"
        assert data["basis"] == "paid"
        assert data["rate"] == "15.00"  # the rate now; each invoice keeps its own
        assert by_month(data) == await expected(
            ledger, reseller_id, only_paid=True, earned_paid_only=True
        )
        assert {(t["currency"], t["commission"]) for t in data["totals"]} == {
            ("EUR", "22.00"),  # 10.00 at 10 % in March, 12.00 at 15 % in May
            ("KES", "200.00"),
        }
        assert data["currency"] is None
        assert data["total_commission"] is None

    async def test_all_statuses_earn_by_basis(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        ledger: Ledger,
        reseller_book: dict[str, Any],
    ) -> None:
        reseller_id = reseller_book["reseller"]["id"]
        headers = tokens.admin()
        paid_basis = await report(client, headers, reseller_id=reseller_id, status="all")
        assert by_month(paid_basis) == await expected(
            ledger, reseller_id, only_paid=False, earned_paid_only=True
        )
        await factory.put_settings(commission_basis="invoiced")
        invoiced_basis = await report(client, headers, reseller_id=reseller_id, status="all")
        assert by_month(invoiced_basis) == await expected(
            ledger, reseller_id, only_paid=False, earned_paid_only=False
        )
        eur = next(t for t in invoiced_basis["totals"] if t["currency"] == "EUR")
        # 100 + 33.33 + 240.05 at 10 %, 80 at 15 %: drafts and the cancelled one earn nothing.
        assert (eur["invoiced"], eur["commission"], eur["earned"]) == (
            "453.38",
            "49.34",
            "49.34",
        )

    async def test_range_and_single_currency_totals(
        self, client: httpx.AsyncClient, tokens: Tokens, reseller_book: dict[str, Any]
    ) -> None:
        data = await report(
            client,
            tokens.admin(),
            reseller_id=reseller_book["reseller"]["id"],
            status="all",
            **{"from": "2026-03-01", "to": "2026-03-31"},
        )
        assert [row["month"] for row in data["rows"]] == ["2026-03"]
        assert (data["currency"], data["total_invoiced"], data["total_commission"]) == (
            "EUR",
            "133.33",
            "10.00",  # only the paid one earns under the paid basis
        )
        assert data["rows"][0]["commission"] == "13.33"  # 10.00 + 3.33 (half-up per invoice)

    async def test_rate_change_never_rewrites_history(
        self, client: httpx.AsyncClient, tokens: Tokens, reseller_book: dict[str, Any]
    ) -> None:
        reseller_id = reseller_book["reseller"]["id"]
        before = await report(client, tokens.admin(), reseller_id=reseller_id, status="all")
        changed = await client.patch(
            f"/api/v1/admin/resellers/{reseller_id}",
            json={"commission_rate": "50.00"},
            headers=tokens.admin(),
        )
        assert changed.status_code == 200
        after = await report(client, tokens.admin(), reseller_id=reseller_id, status="all")
        assert after["rows"] == before["rows"]
        assert after["rate"] == "50.00"
        first = reseller_book["invoices"][0]
        shown = await client.get(f"/api/v1/admin/invoices/{first['id']}", headers=tokens.admin())
        assert (
            shown.json()["data"]["commission_rate"],
            shown.json()["data"]["commission_amount"],
        ) == (
            "10.00",
            "10.00",
        )

    async def test_empty_report(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        lonely = await factory.create_reseller(commission_rate="7.50")
        data = await report(client, tokens.reseller(uuid.UUID(lonely["id"])))
        assert (data["rows"], data["totals"]) == ([], [])
        assert (data["total_invoiced"], data["total_commission"]) == ("0.00", "0.00")


class TestAccess:
    async def test_reseller_cannot_read_another_resellers_commission(
        self, client: httpx.AsyncClient, tokens: Tokens, reseller_book: dict[str, Any]
    ) -> None:
        headers = tokens.reseller(uuid.UUID(reseller_book["reseller"]["id"]))
        outside = await client.get(
            COMMISSIONS, params={"reseller_id": reseller_book["other"]["id"]}, headers=headers
        )
        assert outside.status_code == 404
        assert outside.json()["error"]["code"] == "reseller_not_found"
        below = await client.get(
            COMMISSIONS, params={"reseller_id": reseller_book["child"]["id"]}, headers=headers
        )
        assert below.status_code == 403
        assert below.json()["error"]["code"] == "commission_of_other_reseller"
        own = await client.get(
            COMMISSIONS, params={"reseller_id": reseller_book["reseller"]["id"]}, headers=headers
        )
        assert own.status_code == 200

    async def test_tenant_is_refused(
        self, client: httpx.AsyncClient, tokens: Tokens, reseller_book: dict[str, Any]
    ) -> None:
        response = await client.get(
            COMMISSIONS, headers=tokens.owner(uuid.UUID(reseller_book["eur"]["id"]))
        )
        assert response.status_code == 403

    async def test_admin_names_the_reseller(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.get(COMMISSIONS, headers=tokens.admin())
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "reseller_id_required"

    @pytest.mark.parametrize(
        "params",
        [
            {"from": "2026-13-01"},
            {"to": "yesterday"},
            {"from": "2026-05-01", "to": "2026-04-01"},
            {"status": "void"},
            {"reseller_id": "not-a-uuid"},
        ],
    )
    async def test_bad_parameters_are_422_envelopes(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        reseller_book: dict[str, Any],
        params: dict[str, str],
    ) -> None:
        headers = tokens.reseller(uuid.UUID(reseller_book["reseller"]["id"]))
        response = await client.get(COMMISSIONS, params=params, headers=headers)
        assert response.status_code == 422, response.text
        assert set(response.json()) == {"error", "meta"}
