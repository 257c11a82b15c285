"""Invoices by e-mail through a real SMTP server (aiosmtpd): both attachments, the e-invoice
byte-identical to its download, status sent, nothing for a rolled-back request, a failing
server retried with its attempts listed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from billing.auth import capabilities
from billing.core.db import Database
from billing.delivery.service import delivery as delivery_service
from billing.invoices.service import invoice as invoice_service
from billing.settings.schemas import SettingsUpdate
from tests.delivery.conftest import ADMIN, MailSink, fetch
from tests.documents.conftest import SELLER, create_buyer, issue
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.fixtures.waiting import eventually

pytestmark = pytest.mark.usefixtures("worker")

BILLING = "/api/v1/billing"


@pytest.fixture(autouse=True)
async def complete_seller(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> AsyncIterator[None]:
    before = (await client.get(f"{ADMIN}/settings", headers=tokens.admin())).json()["data"]
    await factory.put_settings(seller=SELLER, enabled_currencies=["EUR", "KES"], timezone="UTC")
    yield
    await factory.put_settings(
        **{key: value for key, value in before.items() if key in SettingsUpdate.model_fields}
    )


def attachments(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    found = {}
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[str(part.get_filename())] = (part.get_content_type(), payload)
    return found


async def mails(sink: MailSink, address: str, count: int = 1) -> list[EmailMessage]:
    async def arrived() -> list[EmailMessage] | None:
        found = sink.to(address)
        return found if len(found) >= count else None

    found: list[EmailMessage] = await eventually(arrived, within=30)
    return found


class TestSend:
    async def test_the_tenant_sends_its_invoice_with_pdf_and_einvoice(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        smtp: tuple[MailSink, int],
    ) -> None:
        address = f"ap-{uuid.uuid4().hex[:8]}@kunde.example"
        buyer = await create_buyer(
            factory,
            tokens,
            billing_email=address,
            preferred_einvoice_format="xrechnung",
            attach_einvoice_to_email=True,
            language="de",
        )
        invoice = await issue(factory, buyer["id"])
        owner = tokens.owner(uuid.UUID(buyer["id"]))
        sent = await client.post(f"{BILLING}/invoices/{invoice['id']}/send", headers=owner)
        assert sent.status_code == 200, sent.text
        assert sent.json()["data"]["status"] == "sent"
        assert sent.json()["data"]["delivery"]["recipients"] == [address]

        [message] = await mails(smtp[0], address)
        assert message["Subject"] == f"Rechnung {invoice['invoice_number']} von Nordlicht"
        assert message["From"] == "billing@operator.example"
        body = message.get_body(("plain",))
        assert body is not None
        assert "Jonas Weber" in body.get_content()
        html = message.get_body(("html",))
        assert html is not None
        assert "#1f4e79" in html.get_content()
        files = attachments(message)
        assert sorted(kind for kind, _ in files.values()) == ["application/pdf", "application/xml"]
        xml = next(content for kind, content in files.values() if kind == "application/xml")
        pdf = next(content for kind, content in files.values() if kind == "application/pdf")
        assert pdf.startswith(b"%PDF")
        download = await client.get(
            f"{BILLING}/invoices/{invoice['id']}/download",
            params={"format": "xrechnung"},
            headers=owner,
        )
        assert download.status_code == 200
        assert download.content == xml
        shown = await client.get(f"{BILLING}/invoices/{invoice['id']}", headers=owner)
        assert shown.json()["data"]["status"] == "sent"

        async def delivered() -> Any:
            listed = await client.get(
                f"{ADMIN}/invoices/{invoice['id']}/deliveries", headers=tokens.admin()
            )
            rows = listed.json()["data"]
            return rows if rows and rows[0]["status"] == "delivered" else None

        [row] = await eventually(delivered, within=10)
        assert row["channel"] == "email"
        assert [a["outcome"] for a in row["attempts"]] == ["succeeded"]

    async def test_a_failing_mail_server_is_retried_and_the_attempts_are_listed(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        smtp: tuple[MailSink, int],
    ) -> None:
        buyer = await create_buyer(factory, tokens)
        invoice = await issue(factory, buyer["id"])
        address = f"staff-{uuid.uuid4().hex[:8]}@example.com"
        smtp[0].failures = 2
        sent = await client.post(
            f"{ADMIN}/invoices/{invoice['id']}/send",
            json={"recipients": [address]},
            headers=tokens.admin(),
        )
        assert sent.status_code == 200, sent.text
        delivery_id = sent.json()["data"]["delivery"]["id"]
        [message] = await mails(smtp[0], address)
        assert len(attachments(message)) == 1  # no e-invoice asked for: the PDF

        async def delivered() -> Any:
            shown = await client.get(f"{ADMIN}/deliveries/{delivery_id}", headers=tokens.admin())
            data = shown.json()["data"]
            return data if data["status"] == "delivered" else None

        data = await eventually(delivered, within=10)
        assert [a["outcome"] for a in data["attempts"]] == ["failed", "failed", "succeeded"]
        assert [a["response_code"] for a in data["attempts"]] == [451, 451, 250]
        assert "451" in data["attempts"][0]["error"]
        listed = await client.get(
            f"{ADMIN}/deliveries",
            params={"channel": "email", "status": "delivered", "invoice_id": invoice["id"]},
            headers=tokens.admin(),
        )
        assert [item["id"] for item in listed.json()["data"]] == [delivery_id]
        await asyncio.sleep(0.5)
        assert len(smtp[0].to(address)) == 1

    async def test_a_rolled_back_send_sends_nothing(
        self,
        factory: Factory,
        tokens: Tokens,
        database: Database,
        database_url: str,
        smtp: tuple[MailSink, int],
    ) -> None:
        address = f"rollback-{uuid.uuid4().hex[:8]}@kunde.example"
        buyer = await create_buyer(factory, tokens, billing_email=address)
        invoice = await issue(factory, buyer["id"])
        async with database.sessionmaker() as session:
            transaction = await session.begin()
            scope = await capabilities.for_tenant(session, uuid.UUID(buyer["id"]))
            found = await invoice_service.get(
                session, scope=scope, invoice_id=uuid.UUID(invoice["id"]), for_update=True
            )
            queued = await delivery_service.send_email(
                session, scope=scope, invoice=found, recipients=None, created_by="test"
            )
            assert found.status == "sent"
            await transaction.rollback()
        await asyncio.sleep(1.5)
        assert smtp[0].to(address) == []
        assert await fetch(database_url, "SELECT 1 FROM deliveries WHERE id = $1", queued.id) == []
        jobs = await fetch(
            database_url,
            "SELECT 1 FROM procrastinate_jobs WHERE args->>'delivery_id' = $1",
            str(queued.id),
        )
        assert jobs == []
        rows = await fetch(
            database_url, "SELECT status FROM invoices WHERE id = $1", uuid.UUID(invoice["id"])
        )
        assert rows[0]["status"] == "issued"

    async def test_refusals(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        buyer = await create_buyer(factory, tokens)
        other = await create_buyer(factory, tokens)
        invoice = await issue(factory, buyer["id"])
        draft = await factory.create_invoice(buyer["id"])
        owner = tokens.owner(uuid.UUID(other["id"]))
        foreign = await client.post(f"{BILLING}/invoices/{invoice['id']}/send", headers=owner)
        assert foreign.status_code == 404
        member = tokens.member(uuid.UUID(buyer["id"]))
        read_only = await client.post(f"{BILLING}/invoices/{invoice['id']}/send", headers=member)
        assert read_only.status_code == 403
        mine = tokens.owner(uuid.UUID(buyer["id"]))
        not_issued = await client.post(f"{BILLING}/invoices/{draft['id']}/send", headers=mine)
        assert not_issued.status_code == 409
        assert not_issued.json()["error"]["code"] == "invoice_not_sendable"
        bad = await client.post(
            f"{ADMIN}/invoices/{invoice['id']}/send",
            json={"recipients": ["not-an-address"]},
            headers=tokens.admin(),
        )
        assert bad.status_code == 422
        nobody = await create_buyer(factory, tokens, email=None, billing_email=None)
        lonely = await issue(factory, nobody["id"])
        missing = await client.post(f"{ADMIN}/invoices/{lonely['id']}/send", headers=tokens.admin())
        assert missing.status_code == 400
        assert missing.json()["error"]["code"] == "no_recipient"


class TestHeaders:
    async def test_line_breaks_in_the_invoice_number_stay_out_of_the_headers(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        smtp: tuple[MailSink, int],
    ) -> None:
        # Free text keeps line breaks, and a client may choose the number: the subject is
        # built from it. Composing used to fail on every attempt (the delivery stayed pending).
        tag = uuid.uuid4().hex[:8]
        address = f"ap-{tag}@kunde.example"
        injected = f"bcc-{tag}@evil.example"
        buyer = await create_buyer(factory, tokens, billing_email=address)
        number = f"N-{tag}\r\nBcc: {injected}"
        invoice = await factory.create_invoice(
            buyer["id"], subtotal="10.00", status="issued", invoice_number=number
        )
        sent = await client.post(f"{ADMIN}/invoices/{invoice['id']}/send", headers=tokens.admin())
        assert sent.status_code == 200, sent.text
        [message] = await mails(smtp[0], address)
        assert message["Subject"] == f"Invoice N-{tag} Bcc: {injected} from Nordlicht"
        assert message["Bcc"] is None
        assert smtp[0].to(injected) == []
