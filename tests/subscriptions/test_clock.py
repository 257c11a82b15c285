"""The service clock: every "today" of the service follows it, it is shared through the
database, it only moves forward, and its route exists only with test routes enabled."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from billing.core import clock
from tests.fixtures.auth import Tokens
from tests.subscriptions.support import ADMIN, Billing

pytestmark = pytest.mark.usefixtures("clock_back")


async def test_the_route_is_404_without_test_routes(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    moved = await client.post("/api/v1/test/clock", json={"advance_days": 1})
    read = await client.get("/api/v1/test/clock", headers=tokens.admin())
    assert (moved.status_code, read.status_code) == (404, 404)
    assert clock.offset() == timedelta(0)


async def test_invoices_follow_the_moved_clock(billing: Billing) -> None:
    moved = await billing.move_to(date(2031, 2, 28))
    tenant = await billing.tenant()

    invoice = await billing.post(
        f"{ADMIN}/invoices",
        {"tenant_id": tenant["id"], "status": "issued", "subtotal": "10.00"},
        201,
    )

    assert moved["today"] == "2031-02-28"
    assert invoice["issue_date"] == "2031-02-28"
    assert invoice["issued_at"].startswith("2031-02-28")
    assert invoice["invoice_number"].startswith("INV-2031-FEB-28")


async def test_the_offset_is_shared_through_the_database(billing: Billing) -> None:
    await billing.advance(10)
    stored = clock.offset()
    clock.set_offset(timedelta(0))  # as another process that never moved it

    read = await billing.ok(await billing.http.get("/api/v1/test/clock"))

    assert clock.offset() == stored
    assert read["offset_seconds"] == pytest.approx(stored.total_seconds())
    assert stored > timedelta(days=9, hours=23)


async def test_it_only_moves_forward_unless_reset(billing: Billing) -> None:
    await billing.advance(2)
    back = await billing.http.post(
        "/api/v1/test/clock",
        json={"now": datetime.now(UTC).isoformat(), "run_cycle": False},
    )
    two_moves = await billing.http.post(
        "/api/v1/test/clock", json={"advance_days": 1, "reset": True}
    )
    naive = await billing.http.post("/api/v1/test/clock", json={"now": "2031-01-01T00:00:00"})
    reset = await billing.http.post("/api/v1/test/clock", json={"reset": True, "run_cycle": False})

    assert (back.status_code, back.json()["error"]["code"]) == (400, "clock_backwards")
    assert two_moves.status_code == 422
    assert naive.status_code == 422
    assert reset.status_code == 200
    assert reset.json()["data"]["offset_seconds"] == 0
    assert clock.offset() == timedelta(0)
