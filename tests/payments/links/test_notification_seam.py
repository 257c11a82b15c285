"""The customer named at creation is told through ``PaymentLinkNotifier``, in the creating
transaction; a refused creation tells nobody. (The delivery outbox implements the port; here
a recorder stands in for it.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from billing.config import Settings
from billing.core.db import Database
from billing.main import create_app
from billing.payments.links.notifications import PaymentLinkCreated

from .conftest import API, Merchant, body_for


class Recorder:
    """Keeps what it is asked to send, and checks it is asked inside a transaction."""

    def __init__(self) -> None:
        self.events: list[PaymentLinkCreated] = []

    async def payment_link_created(self, session: AsyncSession, event: PaymentLinkCreated) -> None:
        assert session.in_transaction()
        self.events.append(event)


@pytest.fixture
async def notified(
    settings: Settings, database: Database
) -> AsyncIterator[tuple[httpx.AsyncClient, Recorder]]:
    app = create_app(settings, database)
    recorder = Recorder()
    app.state.payment_link_notifier = recorder
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, recorder


async def test_the_customer_is_told_once(
    notified: tuple[httpx.AsyncClient, Recorder],
    operator: Merchant,
    tenant: Any,
    product: Any,
    account: Any,
) -> None:
    client, recorder = notified
    body = body_for(
        tenant,
        product,
        account,
        language="rw",
        customer={"email": "jane@example.com", "phoneNumber": "+250 788 123 456", "name": "Jane"},
    )
    created = await client.post(API, json=body, headers=operator.headers())
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    [event] = recorder.events
    assert event.invoice_number == data["invoiceNumber"]
    assert event.transaction_id == body["transactionId"]
    assert event.payment_link_url == data["paymentLinkUrl"]
    assert event.amount_due == Decimal(data["amountDue"])
    assert event.currency == "KES"
    assert event.language == "rw"
    assert (event.customer_name, event.customer_email, event.customer_phone) == (
        "Jane",
        "jane@example.com",
        "250788123456",
    )
    again = await client.post(API, json=body, headers=operator.headers())
    assert again.status_code == 400
    assert len(recorder.events) == 1
