"""Keyset pagination: a cursor walk returns the list exactly once, in order; the count only
when asked; bad cursors are 422; a deep page reads what the first page reads (the plan)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date
from typing import Any, cast

import asyncpg
import httpx
import pytest
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from billing.config import Settings
from billing.core.db import libpq_database_url
from billing.core.pagination import PageParams
from billing.core.repository import Repository
from billing.core.tenancy import AccessScope, ScopeKind, scope_role
from billing.invoices.repository import InvoiceFilters, InvoiceRepository, list_order
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

INVOICES = "/api/v1/admin/invoices"
SORTS = ("-issue_date", "issue_date", "due_date", "-due_date", "invoice_number", "-total_amount")


@pytest.fixture(scope="module")
async def tenant_with_invoices(factory: Factory) -> str:
    """Invoices with tied dates and amounts, with and without a due date."""
    tenant = await factory.create_tenant()
    dates = ["2026-03-01", "2026-03-01", "2026-03-02", "2026-02-27", "2026-03-01", "2026-03-05"]
    for index, issued in enumerate(dates):
        fields: dict[str, Any] = {
            "issue_date": issued,
            "items": [{"name": "Seat", "unit_price": f"{10 + index % 3}.00"}],
        }
        if index % 2:
            fields["due_date"] = f"2026-04-0{index}"
        await factory.create_invoice(tenant["id"], **fields)
    return str(tenant["id"])


async def _walk(
    client: httpx.AsyncClient, tokens: Tokens, params: dict[str, Any]
) -> tuple[list[str], list[dict[str, Any]]]:
    ids: list[str] = []
    paginations: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(50):
        query = {**params, "per_page": 2, **({"cursor": cursor} if cursor else {})}
        response = await client.get(INVOICES, headers=tokens.admin(), params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        ids += [item["id"] for item in body["data"]]
        paginations.append(body["pagination"])
        cursor = body["pagination"]["next_cursor"]
        if cursor is None:
            break
    return ids, paginations


class TestCursorWalk:
    @pytest.mark.parametrize("sort", SORTS)
    async def test_the_walk_returns_the_list_once_in_order(
        self, client: httpx.AsyncClient, tokens: Tokens, tenant_with_invoices: str, sort: str
    ) -> None:
        params = {"tenant_id": tenant_with_invoices, "sort": sort}
        whole = await client.get(INVOICES, headers=tokens.admin(), params={**params, "limit": 100})
        expected = [item["id"] for item in whole.json()["data"]]
        assert len(expected) == 6
        walked, paginations = await _walk(client, tokens, params)
        assert walked == expected
        assert [p["has_next"] for p in paginations] == [True, True, False]
        # The first page (numbered) counts the list; the cursor pages do not unless asked.
        assert paginations[0]["total"] == 6
        assert all(p["total"] is None and p["pages"] is None for p in paginations[1:])
        assert [p["has_prev"] for p in paginations] == [False, True, True]

    async def test_numbered_pages_count_unless_told_not_to(
        self, client: httpx.AsyncClient, tokens: Tokens, tenant_with_invoices: str
    ) -> None:
        params: dict[str, Any] = {"tenant_id": tenant_with_invoices, "per_page": 4}
        counted = (await client.get(INVOICES, headers=tokens.admin(), params=params)).json()
        assert counted["pagination"]["total"] == 6
        assert counted["pagination"]["pages"] == 2
        assert counted["pagination"]["has_next"] is True
        assert counted["pagination"]["next_cursor"]
        uncounted = (
            await client.get(
                INVOICES, headers=tokens.admin(), params={**params, "include_total": "false"}
            )
        ).json()
        assert uncounted["pagination"]["total"] is None
        assert uncounted["data"] == counted["data"]
        # The cursor of page 1 reads page 2.
        second = (
            await client.get(
                INVOICES,
                headers=tokens.admin(),
                params={
                    **params,
                    "cursor": counted["pagination"]["next_cursor"],
                    "include_total": "true",
                },
            )
        ).json()
        page_two = (
            await client.get(INVOICES, headers=tokens.admin(), params={**params, "page": 2})
        ).json()
        assert second["data"] == page_two["data"]
        assert second["pagination"]["total"] == 6
        assert second["pagination"]["next_cursor"] is None

    async def test_a_tenant_walks_its_own_list(
        self, client: httpx.AsyncClient, tokens: Tokens, tenant_with_invoices: str
    ) -> None:
        headers = tokens.owner(uuid.UUID(tenant_with_invoices))
        first = await client.get("/api/v1/billing/invoices", headers=headers, params={"limit": 4})
        assert first.status_code == 200, first.text
        cursor = first.json()["pagination"]["next_cursor"]
        rest = await client.get(
            "/api/v1/billing/invoices", headers=headers, params={"limit": 4, "cursor": cursor}
        )
        ids = [item["id"] for item in first.json()["data"] + rest.json()["data"]]
        assert len(ids) == len(set(ids)) == 6


ANY_ID = "0f9b3c1e-2d4a-4b6c-8e0f-1a2b3c4d5e6f"


def _token(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


class TestBadCursors:
    @pytest.mark.parametrize(
        ("params", "code"),
        [
            ({"cursor": "not a cursor"}, "invalid_cursor"),
            ({"cursor": _token(["-issue_date", "yesterday", ANY_ID])}, "invalid_cursor"),
            ({"cursor": _token(["-issue_date", "2026-01-01", "not-a-uuid"])}, "invalid_cursor"),
            ({"cursor": _token(["-issue_date", 20260101, ANY_ID])}, "invalid_cursor"),
            ({"cursor": _token({"order": "x"})}, "invalid_cursor"),
            ({"cursor": _token(["-total_amount", "NaN", ANY_ID]), "sort": "-total_amount"},
             "invalid_cursor"),
            ({"cursor": _token(["-total_amount", "1e999999", ANY_ID]), "sort": "-total_amount"},
             "invalid_cursor"),
            ({"cursor": _token(["-issue_date", "2026-01-01", ANY_ID]), "sort": "due_date"},
             "invalid_cursor"),
            ({"cursor": _token(["-issue_date", "2026-01-01", ANY_ID]), "page": 2},
             "validation_error"),
            ({"cursor": "x" * 513}, "validation_error"),
        ],
    )  # fmt: skip
    async def test_refused_with_422(
        self, client: httpx.AsyncClient, tokens: Tokens, params: dict[str, Any], code: str
    ) -> None:
        response = await client.get(INVOICES, headers=tokens.admin(), params=params)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == code

    async def test_a_list_without_an_order_refuses_a_cursor(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.get(
            "/api/v1/admin/tax-rates", headers=tokens.admin(), params={"cursor": "abc"}
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_cursor"

    async def test_a_forged_position_reveals_nothing_hidden(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        mine = await factory.create_tenant()
        other = await factory.create_tenant()
        hidden = await factory.create_invoice(other["id"], issue_date="2026-05-01")
        await factory.create_invoice(mine["id"], issue_date="2026-04-01")
        cursor = _token(["-issue_date", "2026-05-02", hidden["id"]])
        response = await client.get(
            "/api/v1/billing/invoices",
            headers=tokens.owner(uuid.UUID(mine["id"])),
            params={"cursor": cursor},
        )
        assert response.status_code == 200
        assert [item["tenant_id"] for item in response.json()["data"]] == [mine["id"]]


# Dated after every invoice the other modules on the worker's database make.
MANY = """
INSERT INTO invoices (tenant_id, id, public_id, status, currency, issue_date, subtotal,
                      discount_amount, tax_amount, total_amount, amount_paid, amount_refunded,
                      amount_credited, customer, buyer, created_at, updated_at)
SELECT $1::uuid, gen_random_uuid(), md5(random()::text), 'draft', 'EUR',
       date '2200-01-01' + (n % 2000), 10, 0, 0, 10, 0, 0, 0, '{}', '{}', now(), now()
FROM generate_series(1, $2::int) AS n
"""


def _sql(tenant_id: uuid.UUID, page: PageParams) -> str:
    """The SQL of the tenant's default invoice list, as the service sends it."""
    scope = AccessScope.tenant(tenant_id)
    repository = InvoiceRepository(cast(AsyncSession, None), scope)
    filters = InvoiceFilters(today=date(2026, 1, 1), sort="-issue_date")
    statement = Repository.page_statement(
        repository.list_statement(filters), page, list_order(filters.sort)
    )
    compiled = statement.compile(
        dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"literal_binds": True},
    )
    return str(compiled)


ORDERED_INDEXES = {"ix_invoices_tenant_id_issue_date_id", "ix_invoices_issue_date_id"}


def _rows_read(scan: dict[str, Any]) -> int:
    """The rows a scan returned and the rows it read and threw away."""
    return int(scan["Actual Rows"]) + int(scan.get("Rows Removed by Filter", 0))


def _scan_summary(scan: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("Node Type", "Index Name", "Index Cond", "Filter", "Actual Rows")
    return (*(scan.get(key) for key in keys), _rows_read(scan))


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes += _plan_nodes(child)
    return nodes


async def test_a_deep_page_reads_what_the_first_page_reads(
    database_url: str, settings: Settings, factory: Factory
) -> None:
    """With row-level security on, page 1 and a page 4,000 rows deep are both one index range:
    no sort, about a page of rows read whatever the depth, and buffers of the same order."""
    tenant = uuid.UUID((await factory.create_tenant())["id"])
    neighbour = uuid.UUID((await factory.create_tenant())["id"])
    connection = await asyncpg.connect(libpq_database_url(database_url))
    try:
        await connection.execute(MANY, tenant, 5000)
        await connection.execute(MANY, neighbour, 5000)
        # Many small tenants: a policy the planner cannot read would now look like it keeps
        # a few dozen of the tenant's 5,000 rows, and it would sort them rather than walk.
        small = [uuid.UUID((await factory.create_tenant())["id"]) for _ in range(150)]
        for other in small:
            await connection.execute(MANY, other, 10)
        await connection.execute("ANALYZE invoices")
        deep_row = await connection.fetchrow(
            "SELECT issue_date, id FROM invoices WHERE tenant_id = $1"
            " ORDER BY issue_date DESC, id DESC OFFSET 4000 LIMIT 1",
            tenant,
        )
        cursor = list_order("-issue_date").cursor_of(
            type("Row", (), {"issue_date": deep_row["issue_date"], "id": deep_row["id"]})()
        )
        await connection.execute(f'SET ROLE "{settings.app_role}"')
        role = scope_role(settings.app_role, ScopeKind.TENANT)
        buffers: list[int] = []
        for page in (
            PageParams(page=1, per_page=20, include_total=False),
            PageParams(page=1, per_page=20, cursor=cursor, include_total=False),
        ):
            async with connection.transaction():
                # As apply_scope does it: the settings and the scope's role.
                await connection.execute(
                    "SELECT set_config('app.scope', 'tenant', true),"
                    " set_config('app.tenant_id', $1, true), set_config('role', $2, true)",
                    str(tenant),
                    role,
                )
                raw = await connection.fetchval(
                    "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + _sql(tenant, page)
                )
            plan = json.loads(raw)[0]["Plan"]
            nodes = _plan_nodes(plan)
            kinds = {node["Node Type"] for node in nodes}
            assert "Sort" not in kinds, kinds
            scans = [node for node in nodes if node.get("Relation Name") == "invoices"]
            assert scans, nodes
            # The tenant's (tenant_id, issue_date, id) range, or the staff's (issue_date, id)
            # range filtered to the tenant, which the planner may prefer for a tenant holding a
            # large share of the table. Both read about a page at any depth: the staff's index
            # meets only the other tenants' rows this test made, the only ones dated as late.
            shown = [_scan_summary(scan) for scan in scans]
            assert all(scan.get("Index Name") in ORDERED_INDEXES for scan in scans), shown
            assert all(scan["Actual Rows"] <= 21 for scan in scans), shown
            assert all(_rows_read(scan) <= 4 * 21 for scan in scans), shown
            buffers.append(plan["Shared Hit Blocks"] + plan.get("Shared Read Blocks", 0))
        assert buffers[1] <= 2 * buffers[0] + 10, buffers
    finally:
        await connection.close()
