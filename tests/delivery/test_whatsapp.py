"""Invoices over WhatsApp through real fake servers of both plugins (the Cloud API: media
upload then a document message, templates with the public link; Ultramsg: its document and
chat endpoints with the instance token): the PDF byte-identical to its download, the combined
PDF of a tenant's pending invoices rendered in memory, a failing provider retried with its
attempts listed, other tenants' invoices 404, an unconfigured service a clear 501."""

from __future__ import annotations

import asyncio
import contextlib
import io
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pikepdf
import pytest
from pydantic import SecretStr

from billing.config import Settings
from billing.core.clock import today_in
from billing.core.db import Database
from billing.delivery.context import DeliveryContext
from billing.delivery.reminders import send_reminders
from billing.main import create_app
from billing.providers.http import build_http_client
from billing.settings.schemas import SettingsUpdate
from billing.worker.app import WorkerContext
from billing_fakes.server import FakeServer
from billing_fakes.ultramsg import create_ultramsg_app, ultramsg_state
from billing_fakes.whatsapp_cloud import create_whatsapp_cloud_app, whatsapp_cloud_state
from tests.delivery.conftest import ADMIN, fetch
from tests.documents.conftest import SELLER, create_buyer, issue
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.fixtures.waiting import eventually

CLOUD_TOKEN = "fake-whatsapp-token"
CLOUD_PHONE_ID = "106540352242922"
ULTRAMSG_TOKEN = "fake-ultramsg-token"
ULTRAMSG_INSTANCE = "instance1150"


@dataclass(frozen=True, slots=True)
class Arrived:
    """A message as the provider received it, whichever plugin sent it."""

    kind: str  # "document" or "link" (template / chat)
    to: str
    text: str
    filename: str | None
    content: bytes | None


@dataclass(slots=True)
class WhatsApp:
    """One configured plugin: its fake server, settings, and an app configured with it."""

    key: str
    server: FakeServer
    settings: Settings
    client: httpx.AsyncClient

    def arrived(self, phone: str) -> list[Arrived]:
        to = "".join(character for character in phone if character.isdigit())
        found = []
        if self.key == "cloud":
            for message in whatsapp_cloud_state(self.server.app).sent(to):  # type: ignore[arg-type]
                payload = message.payload
                if message.type == "document":
                    document = payload["document"]
                    found.append(
                        Arrived(
                            "document",
                            to,
                            document.get("caption", ""),
                            document.get("filename"),
                            message.document.content if message.document else None,
                        )
                    )
                else:
                    parameters = payload["template"]["components"][0]["parameters"]
                    text = "\n".join(parameter["text"] for parameter in parameters)
                    found.append(Arrived("link", to, text, None, None))
        else:
            for sent in ultramsg_state(self.server.app).sent(to):  # type: ignore[arg-type]
                if sent.type == "document":
                    found.append(
                        Arrived(
                            "document",
                            to,
                            sent.fields.get("caption", ""),
                            sent.fields.get("filename"),
                            sent.content,
                        )
                    )
                else:
                    found.append(Arrived("link", to, sent.fields["body"], None, None))
        return found

    async def wait(self, phone: str, count: int = 1) -> list[Arrived]:
        async def probe() -> list[Arrived] | None:
            found = self.arrived(phone)
            return found if len(found) >= count else None

        result: list[Arrived] = await eventually(probe, within=30)
        return result

    async def fail_next(self, count: int, status: int = 503) -> None:
        async with httpx.AsyncClient() as control:
            response = await control.post(
                self.server.url("/__control/faults"), json={"status": status, "count": count}
            )
        assert response.status_code == 200

    async def set_token(self, token: str) -> None:
        name = "access_token" if self.key == "cloud" else "token"
        async with httpx.AsyncClient() as control:
            response = await control.post(
                self.server.url("/__control/settings"), json={name: token}
            )
            assert response.status_code == 200


def configured(settings: Settings, key: str, server: FakeServer) -> Settings:
    token, sender = (
        (CLOUD_TOKEN, CLOUD_PHONE_ID) if key == "cloud" else (ULTRAMSG_TOKEN, ULTRAMSG_INSTANCE)
    )
    return settings.model_copy(
        update={
            "whatsapp_provider": key,
            "whatsapp_base_url": server.base_url,
            "whatsapp_token": SecretStr(token),
            "whatsapp_sender_id": sender,
        }
    )


@pytest.fixture(scope="session")
def whatsapp_servers() -> Iterator[dict[str, FakeServer]]:
    with (
        FakeServer(create_whatsapp_cloud_app(), name="whatsapp-cloud") as cloud,
        FakeServer(create_ultramsg_app(), name="ultramsg") as ultramsg,
    ):
        yield {"cloud": cloud, "ultramsg": ultramsg}


@pytest.fixture(scope="session")
async def whatsapp_clients(
    settings: Settings, database: Database, whatsapp_servers: dict[str, FakeServer]
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """The app built with each plugin configured (the routes check the app's settings)."""
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for key, server in whatsapp_servers.items():
            app = create_app(configured(settings, key, server), database)
            clients[key] = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://testserver"
                )
            )
        yield clients


@pytest.fixture(params=["cloud", "ultramsg"])
def whatsapp(
    request: pytest.FixtureRequest,
    worker: WorkerContext,
    delivery_settings: Settings,
    whatsapp_servers: dict[str, FakeServer],
    whatsapp_clients: dict[str, httpx.AsyncClient],
) -> Iterator[WhatsApp]:
    """One plugin, configured in the app and in the running worker for this test."""
    key = str(request.param)
    server = whatsapp_servers[key]
    worker_settings = configured(delivery_settings, key, server)
    before = worker.settings
    worker.settings = worker_settings
    try:
        yield WhatsApp(key, server, worker_settings, whatsapp_clients[key])
    finally:
        worker.settings = before
        httpx.post(server.url("/__control/reset"))


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


def new_phone() -> str:
    return f"+255 7{secrets.randbelow(10**8):08d}"


async def delivered(client: httpx.AsyncClient, tokens: Tokens, delivery_id: str) -> Any:
    async def probe() -> Any:
        shown = await client.get(f"{ADMIN}/deliveries/{delivery_id}", headers=tokens.admin())
        data = shown.json()["data"]
        return data if data["status"] == "delivered" else None

    return await eventually(probe, within=30)


class TestInvoicePdf:
    async def test_the_pdf_arrives_byte_identical_to_its_download(
        self, whatsapp: WhatsApp, tokens: Tokens, factory: Factory
    ) -> None:
        phone = new_phone()
        buyer = await create_buyer(factory, tokens, phone=phone)
        invoice = await issue(factory, buyer["id"])
        sent = await whatsapp.client.post(
            f"{ADMIN}/invoices/{invoice['id']}/send-whatsapp", headers=tokens.admin()
        )
        assert sent.status_code == 200, sent.text
        data = sent.json()["data"]
        assert data["status"] == "sent"
        assert data["delivery"]["channel"] == "whatsapp"
        assert data["delivery"]["recipients"] == [phone]

        [message] = await whatsapp.wait(phone)
        assert message.kind == "document"
        assert message.filename is not None
        assert message.filename.endswith(".pdf")
        assert invoice["invoice_number"] in message.text
        download = await whatsapp.client.get(
            f"{ADMIN}/invoices/{invoice['id']}/pdf", headers=tokens.admin()
        )
        assert download.status_code == 200
        assert message.content == download.content
        done = await delivered(whatsapp.client, tokens, data["delivery"]["id"])
        assert [a["outcome"] for a in done["attempts"]] == ["succeeded"]
        assert done["attempts"][0]["response_code"] == 200

    async def test_a_phone_given_in_the_request_wins(
        self, whatsapp: WhatsApp, tokens: Tokens, factory: Factory
    ) -> None:
        buyer = await create_buyer(factory, tokens, phone=new_phone())
        invoice = await issue(factory, buyer["id"])
        phone = new_phone()
        sent = await whatsapp.client.post(
            f"{ADMIN}/invoices/{invoice['id']}/send-whatsapp",
            json={"phone": phone},
            headers=tokens.admin(),
        )
        assert sent.status_code == 200, sent.text
        [message] = await whatsapp.wait(phone)
        assert message.content is not None
        assert message.content.startswith(b"%PDF")

    async def test_a_failing_provider_is_retried_and_the_attempts_are_listed(
        self, whatsapp: WhatsApp, tokens: Tokens, factory: Factory
    ) -> None:
        phone = new_phone()
        buyer = await create_buyer(factory, tokens, phone=phone)
        invoice = await issue(factory, buyer["id"])
        await whatsapp.fail_next(2)
        sent = await whatsapp.client.post(
            f"{ADMIN}/invoices/{invoice['id']}/send-whatsapp", headers=tokens.admin()
        )
        assert sent.status_code == 200, sent.text
        delivery_id = sent.json()["data"]["delivery"]["id"]
        done = await delivered(whatsapp.client, tokens, delivery_id)
        assert [a["outcome"] for a in done["attempts"]] == ["failed", "failed", "succeeded"]
        assert [a["response_code"] for a in done["attempts"]] == [503, 503, 200]
        assert "503" in done["attempts"][0]["error"]
        listed = await whatsapp.client.get(
            f"{ADMIN}/deliveries",
            params={"channel": "whatsapp", "invoice_id": invoice["id"]},
            headers=tokens.admin(),
        )
        assert [item["id"] for item in listed.json()["data"]] == [delivery_id]
        await asyncio.sleep(0.5)
        assert len(whatsapp.arrived(phone)) == 1

    async def test_a_refused_message_fails_for_good(
        self, whatsapp: WhatsApp, tokens: Tokens, factory: Factory
    ) -> None:
        phone = new_phone()
        buyer = await create_buyer(factory, tokens, phone=phone)
        invoice = await issue(factory, buyer["id"])
        # The provider stops accepting our token (revoked): a refusal, not an outage.
        await whatsapp.set_token("rotated-elsewhere")
        try:
            sent = await whatsapp.client.post(
                f"{ADMIN}/invoices/{invoice['id']}/send-whatsapp", headers=tokens.admin()
            )
            assert sent.status_code == 200, sent.text
            delivery_id = sent.json()["data"]["delivery"]["id"]

            async def failed() -> Any:
                shown = await whatsapp.client.get(
                    f"{ADMIN}/deliveries/{delivery_id}", headers=tokens.admin()
                )
                data = shown.json()["data"]
                return data if data["status"] == "failed" else None

            data = await eventually(failed, within=30)
        finally:
            await whatsapp.set_token(CLOUD_TOKEN if whatsapp.key == "cloud" else ULTRAMSG_TOKEN)
        assert len(data["attempts"]) == 1
        assert data["attempts"][0]["outcome"] == "failed"
        assert CLOUD_TOKEN not in str(data)
        assert ULTRAMSG_TOKEN not in str(data)
        assert whatsapp.arrived(phone) == []


def page_streams(pdf: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return [page.Contents.read_bytes() for page in document.pages]


class TestCombined:
    async def test_one_pdf_of_the_pending_invoices_and_nothing_else_written(
        self, whatsapp: WhatsApp, tokens: Tokens, factory: Factory, database_url: str
    ) -> None:
        phone = new_phone()
        buyer = await create_buyer(factory, tokens, phone=phone)
        later = await issue(factory, buyer["id"], due_date="2099-12-31")
        sooner = await issue(factory, buyer["id"], due_date="2099-06-30")
        longer = await issue(
            factory,
            buyer["id"],
            due_date="2099-09-30",
            items=[
                {"name": f"Line {n}", "quantity": "1", "unit_price": "10", "tax_rate": "19"}
                for n in range(60)
            ],
        )
        paid = await issue(factory, buyer["id"])
        payment = await whatsapp.client.post(
            f"{ADMIN}/invoices/{paid['id']}/payments",
            json={"amount": paid["total_amount"], "method": "cash"},
            headers=tokens.admin(),
        )
        assert payment.status_code in (200, 201), payment.text
        draft = await factory.create_invoice(buyer["id"])
        tenant = uuid.UUID(buyer["id"])

        async def snapshot() -> list[Any]:
            return [
                tuple(row)
                for row in await fetch(
                    database_url,
                    "SELECT id, status, updated_at FROM invoices WHERE tenant_id = $1 ORDER BY id",
                    tenant,
                )
            ] + [
                tuple(row)
                for row in await fetch(
                    database_url,
                    "SELECT count(*) FROM invoice_documents WHERE tenant_id = $1",
                    tenant,
                )
            ]

        before = await snapshot()
        sent = await whatsapp.client.post(
            f"{ADMIN}/invoices/{draft['id']}/send-combined", headers=tokens.admin()
        )
        assert sent.status_code == 200, sent.text
        data = sent.json()["data"]
        ordered = [sooner, longer, later]
        assert data["invoice_ids"] == [item["id"] for item in ordered]
        assert data["tenant_id"] == buyer["id"]
        [message] = await whatsapp.wait(phone)
        await delivered(whatsapp.client, tokens, data["delivery"]["id"])
        assert await snapshot() == before  # rendered in memory: no document stored, no status
        rows = await fetch(database_url, "SELECT id FROM deliveries WHERE tenant_id = $1", tenant)
        assert [str(row["id"]) for row in rows] == [data["delivery"]["id"]]
        for item in ordered:
            assert item["invoice_number"] in message.text

        assert message.content is not None
        combined = page_streams(message.content)
        expected: list[bytes] = []
        for item in ordered:
            single = await whatsapp.client.get(
                f"{ADMIN}/invoices/{item['id']}/pdf", headers=tokens.admin()
            )
            assert single.status_code == 200
            pages = page_streams(single.content)
            if item is longer:
                assert len(pages) > 1  # a set of pages, not one page per invoice
            expected.extend(pages)
        assert combined == expected

    async def test_a_tenant_without_pending_invoices(
        self, whatsapp: WhatsApp, tokens: Tokens, factory: Factory
    ) -> None:
        buyer = await create_buyer(factory, tokens, phone=new_phone())
        draft = await factory.create_invoice(buyer["id"])
        refused = await whatsapp.client.post(
            f"{ADMIN}/invoices/{draft['id']}/send-combined", headers=tokens.admin()
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "no_pending_invoices"


class TestLinks:
    async def test_a_reminder_carries_the_public_link(
        self,
        whatsapp: WhatsApp,
        tokens: Tokens,
        factory: Factory,
        database: Database,
        database_url: str,
    ) -> None:
        await factory.put_settings(notifications={"reminder_whatsapp": True})
        phone = new_phone()
        buyer = await create_buyer(factory, tokens, phone=phone)
        due = today_in("UTC") + timedelta(days=3)
        invoice = await issue(factory, buyer["id"], due_date=due.isoformat())
        http = build_http_client()

        @contextlib.asynccontextmanager
        async def transaction() -> AsyncIterator[Any]:
            async with database.sessionmaker() as session, session.begin():
                yield session

        try:
            await send_reminders(DeliveryContext(transaction, http, whatsapp.settings))
        finally:
            await http.aclose()
        [message] = await whatsapp.wait(phone)
        assert message.kind == "link"
        assert invoice["public_url"] in message.text
        assert invoice["invoice_number"] in message.text
        rows = await fetch(
            database_url,
            "SELECT channel, details->>'step' AS step FROM deliveries WHERE invoice_id = $1"
            " ORDER BY channel",
            uuid.UUID(invoice["id"]),
        )
        assert [(row["channel"], row["step"]) for row in rows] == [
            ("email", "day-3"),
            ("whatsapp", "day-3"),
        ]


class TestRefusals:
    async def test_another_tenants_invoice_is_not_found(
        self, whatsapp: WhatsApp, tokens: Tokens, factory: Factory, database_url: str
    ) -> None:
        reseller = await factory.create_reseller()
        mine = await create_buyer(factory, tokens, reseller_id=uuid.UUID(reseller["id"]))
        other = await create_buyer(factory, tokens, phone=new_phone())
        foreign = await issue(factory, other["id"])
        headers = tokens.reseller(uuid.UUID(reseller["id"]))
        for route in ("send-whatsapp", "send-combined"):
            response = await whatsapp.client.post(
                f"{ADMIN}/invoices/{foreign['id']}/{route}", headers=headers
            )
            assert response.status_code == 404, response.text
            assert response.json()["error"]["code"] == "invoice_not_found"
        owner = tokens.owner(uuid.UUID(mine["id"]))
        forbidden = await whatsapp.client.post(
            f"{ADMIN}/invoices/{foreign['id']}/send-whatsapp", headers=owner
        )
        assert forbidden.status_code in (403, 404)
        rows = await fetch(
            database_url,
            "SELECT 1 FROM deliveries WHERE tenant_id = $1",
            uuid.UUID(other["id"]),
        )
        assert rows == []
        shown = await whatsapp.client.get(
            f"{ADMIN}/invoices/{foreign['id']}", headers=tokens.admin()
        )
        assert shown.json()["data"]["status"] == "issued"

    async def test_a_malformed_phone_is_refused(
        self, whatsapp: WhatsApp, tokens: Tokens, factory: Factory
    ) -> None:
        buyer = await create_buyer(factory, tokens)
        invoice = await issue(factory, buyer["id"])
        refused = await whatsapp.client.post(
            f"{ADMIN}/invoices/{invoice['id']}/send-whatsapp",
            json={"phone": "call me"},
            headers=tokens.admin(),
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "validation_error"

    async def test_no_phone_anywhere(
        self, whatsapp: WhatsApp, tokens: Tokens, factory: Factory
    ) -> None:
        buyer = await create_buyer(factory, tokens, phone=None)
        invoice = await issue(factory, buyer["id"])
        refused = await whatsapp.client.post(
            f"{ADMIN}/invoices/{invoice['id']}/send-whatsapp", headers=tokens.admin()
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "no_recipient"


async def test_not_configured_is_a_clear_501(
    client: httpx.AsyncClient, tokens: Tokens, factory: Factory, database_url: str
) -> None:
    buyer = await create_buyer(factory, tokens, phone=new_phone())
    invoice = await issue(factory, buyer["id"])
    for route in ("send-whatsapp", "send-combined"):
        response = await client.post(
            f"{ADMIN}/invoices/{invoice['id']}/{route}", headers=tokens.admin()
        )
        assert response.status_code == 501, response.text
        error = response.json()["error"]
        assert error["code"] == "whatsapp_not_configured"
        assert "BILLING_WHATSAPP_PROVIDER" in error["message"]
        assert "request_id" in response.json()["meta"]
    rows = await fetch(
        database_url, "SELECT 1 FROM deliveries WHERE invoice_id = $1", uuid.UUID(invoice["id"])
    )
    assert rows == []
    shown = await client.get(f"{ADMIN}/invoices/{invoice['id']}", headers=tokens.admin())
    assert shown.json()["data"]["status"] == "issued"
