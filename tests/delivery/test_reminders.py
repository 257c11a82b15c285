"""Reminders over a simulated month on the service clock: each step of the schedule once per
invoice even with two workers at once, none after payment, ``invoice.overdue`` once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from billing.core import clock
from billing.delivery.context import DeliveryContext
from billing.delivery.reminders import latest_step, send_reminders, step_name
from tests.delivery.conftest import ADMIN, Receiver, fetch
from tests.delivery.test_webhooks import endpoint
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory


@pytest.fixture
def clock_back() -> Iterator[None]:
    yield
    clock.set_offset(timedelta(0))


def move_to(day: date) -> None:
    """Put this process's service clock at noon UTC of ``day``."""
    target = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    clock.set_offset(target - clock.wall_now())


def test_latest_step() -> None:
    due = date(2030, 1, 10)
    days = [-3, 0, 3, 7, 14]
    assert latest_step(days, due, date(2030, 1, 6)) is None
    assert latest_step(days, due, date(2030, 1, 7)) == -3
    assert latest_step(days, due, date(2030, 1, 12)) == 0
    assert latest_step(days, due, date(2030, 2, 28)) == 14
    assert step_name(-3) == "day-3"
    assert step_name(7) == "day+7"


@pytest.mark.usefixtures("clock_back")
async def test_a_month_of_reminders(
    client: httpx.AsyncClient,
    tokens: Tokens,
    factory: Factory,
    delivery_context: DeliveryContext,
    database_url: str,
    receiver: tuple[Receiver, str],
) -> None:
    await endpoint(client, tokens, receiver[1], "invoice.overdue")
    start = date(2031, 3, 1)
    move_to(start)
    due = start + timedelta(days=10)
    tenant = await factory.create_tenant(email=f"ap-{uuid.uuid4().hex[:6]}@tenant.example")
    unpaid = await factory.create_invoice(
        tenant["id"], subtotal="50.00", status="issued", due_date=due.isoformat()
    )
    paid_later = await factory.create_invoice(
        tenant["id"], subtotal="80.00", status="issued", due_date=due.isoformat()
    )
    for offset in range(31):
        today = start + timedelta(days=offset)
        move_to(today)
        if today == due + timedelta(days=5):
            paid = await client.post(
                f"{ADMIN}/invoices/{paid_later['id']}/payments",
                json={"amount": paid_later["total_amount"], "method": "cash"},
                headers=tokens.admin(),
            )
            assert paid.status_code in (200, 201), paid.text
        # Two workers run the job at the same moment.
        await asyncio.gather(send_reminders(delivery_context), send_reminders(delivery_context))

    async def steps(invoice_id: str) -> list[str]:
        rows = await fetch(
            database_url,
            "SELECT details->>'step' AS step FROM deliveries WHERE invoice_id = $1"
            " AND kind = 'reminder' ORDER BY created_at",
            uuid.UUID(invoice_id),
        )
        return [row["step"] for row in rows]

    assert await steps(unpaid["id"]) == ["day-3", "day+0", "day+3", "day+7", "day+14"]
    assert await steps(paid_later["id"]) == ["day-3", "day+0", "day+3"]
    for invoice in (unpaid, paid_later):
        events = await fetch(
            database_url,
            "SELECT type FROM outbound_events WHERE object_id = $1 AND type = 'invoice.overdue'",
            uuid.UUID(invoice["id"]),
        )
        assert len(events) == 1
    notices = await fetch(
        database_url,
        "SELECT step FROM invoice_notices WHERE invoice_id = $1 ORDER BY step",
        uuid.UUID(unpaid["id"]),
    )
    assert sorted(row["step"] for row in notices) == sorted(
        ["overdue", "day-3", "day+0", "day+3", "day+7", "day+14"]
    )
