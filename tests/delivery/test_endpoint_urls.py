"""Webhook endpoint URLs: only URLs the HTTP client can send to are stored (a stored
``http://xn--/`` made every delivery job of the endpoint fail before it recorded an attempt,
so the delivery stayed pending for ever), and in production no URL pointing inside the
service's network (SSRF: loopback, private ranges, the metadata address)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from billing.config import Settings
from billing.core.db import Database
from billing.delivery.schemas import WEBHOOK_URL_PATTERN, WebhookEndpointCreate
from billing.main import create_app
from tests.delivery.conftest import ADMIN, Receiver, fetch
from tests.delivery.test_webhooks import deliveries, endpoint
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.fixtures.waiting import eventually

UNSENDABLE = [
    "http://xn--/",
    "http://[::1/hook",
    "http://@/hook",
    "http://:80/hook",
    "http://saas\t.example/hook",
    "https://saas.example:99999/hook",
    "https://saas.example:0/hook",
]

INTERNAL = [
    "http://127.0.0.1:5432/",
    "http://127.1/",
    "http://0x7f.0.0.1/",
    "http://2130706433/",
    "http://[::1]:8080/",
    "http://[::ffff:127.0.0.1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://172.16.5.4/hook",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[fd00::1]/hook",
    "http://localhost:8000/hook",
    "http://api.localhost/hook",
]


def assert_refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code


class TestUnsendableUrls:
    @pytest.mark.parametrize("url", UNSENDABLE)
    async def test_refused_on_create_and_update(
        self, client: httpx.AsyncClient, tokens: Tokens, receiver: tuple[Receiver, str], url: str
    ) -> None:
        created = await client.post(
            f"{ADMIN}/webhook-endpoints", json={"url": url}, headers=tokens.admin()
        )
        assert_refused(created, "validation_error")
        good = await endpoint(client, tokens, receiver[1])
        changed = await client.patch(
            f"{ADMIN}/webhook-endpoints/{good['id']}", json={"url": url}, headers=tokens.admin()
        )
        assert_refused(changed, "validation_error")
        shown = await client.get(f"{ADMIN}/webhook-endpoints/{good['id']}", headers=tokens.admin())
        assert shown.json()["data"]["url"] == receiver[1]

    @pytest.mark.usefixtures("worker")
    async def test_a_stored_unsendable_url_fails_the_delivery_for_good(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        receiver: tuple[Receiver, str],
        database_url: str,
    ) -> None:
        # A row written before URLs were checked this way (as the table's owner).
        created = await endpoint(client, tokens, receiver[1], "invoice.created")
        await fetch(
            database_url,
            "UPDATE webhook_endpoints SET url = 'http://xn--/' WHERE id = $1",
            uuid.UUID(created["id"]),
        )
        tenant = await factory.create_tenant()
        invoice = await factory.create_invoice(tenant["id"])

        async def failed() -> Any:
            rows = await deliveries(client, tokens, invoice_id=invoice["id"], status="failed")
            return rows or None

        [row] = await eventually(failed, within=20)
        [attempt] = row["attempts"]
        assert attempt["outcome"] == "failed"
        assert attempt["error"].startswith("The endpoint URL is invalid")


@pytest.fixture(scope="module")
async def production(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app as production runs it (only the environment differs); one for the module."""
    app = create_app(settings.model_copy(update={"environment": "production"}), database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://billing.example") as http:
        yield http


class TestInternalUrlsInProduction:
    @pytest.mark.parametrize("url", INTERNAL)
    async def test_refused_on_create_and_update(
        self, production: httpx.AsyncClient, tokens: Tokens, url: str
    ) -> None:
        created = await production.post(
            f"{ADMIN}/webhook-endpoints", json={"url": url}, headers=tokens.admin()
        )
        assert_refused(created, "webhook_url_not_allowed")
        assert "public" in created.json()["error"]["message"]
        public = await production.post(
            f"{ADMIN}/webhook-endpoints",
            json={"url": "https://saas.example.com/hooks/billing"},
            headers=tokens.admin(),
        )
        assert public.status_code == 201, public.text
        endpoint_id = public.json()["data"]["id"]
        changed = await production.patch(
            f"{ADMIN}/webhook-endpoints/{endpoint_id}", json={"url": url}, headers=tokens.admin()
        )
        assert_refused(changed, "webhook_url_not_allowed")
        shown = await production.get(
            f"{ADMIN}/webhook-endpoints/{endpoint_id}", headers=tokens.admin()
        )
        assert shown.json()["data"]["url"] == "https://saas.example.com/hooks/billing"
        await production.delete(f"{ADMIN}/webhook-endpoints/{endpoint_id}", headers=tokens.admin())

    async def test_public_addresses_and_names_are_accepted(
        self, production: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        for url in ("https://8.8.8.8/hook", "https://hooks.saas.example:8443/billing"):
            created = await production.post(
                f"{ADMIN}/webhook-endpoints", json={"url": url}, headers=tokens.admin()
            )
            assert created.status_code == 201, created.text
            await production.delete(
                f"{ADMIN}/webhook-endpoints/{created.json()['data']['id']}",
                headers=tokens.admin(),
            )


class TestDocumentedPattern:
    """``openapi.json`` states the URL's scheme as a pattern; the service refuses every URL the
    pattern refuses, so a client that checks it never sends what is accepted anyway."""

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://saas.example/hook",
            "HTTPS://saas.example/hook",
            "saas.example/hook",
            "//saas.example/hook",
            "https:/saas.example/hook",
            "mailto:ops@saas.example",
            "https://saas.example/\x7fhook",
            "\x0bhttps://saas.example/hook",
            "\x1chttps://saas.example/hook",
        ],
    )
    def test_what_the_pattern_refuses_is_refused(self, url: str) -> None:
        assert re.search(WEBHOOK_URL_PATTERN, url) is None
        with pytest.raises(ValidationError):
            WebhookEndpointCreate.model_validate({"url": url})

    @pytest.mark.parametrize(
        "url",
        [
            "https://saas.example/hooks/billing",
            "  http://saas.example:8443/h?x=1  ",
            "\u0085\u00a0\u3000https://saas.example/hook\u2028",
        ],
    )
    def test_what_the_service_takes_matches_the_pattern(self, url: str) -> None:
        assert re.search(WEBHOOK_URL_PATTERN, url) is not None
        assert WebhookEndpointCreate.model_validate({"url": url}).url == url.strip()

    def test_the_pattern_is_in_the_spec(self, app: FastAPI) -> None:
        schemas = app.openapi()["components"]["schemas"]
        for name in ("WebhookEndpointCreate", "WebhookEndpointUpdate"):
            url = schemas[name]["properties"]["url"]
            options = url.get("anyOf", [url])
            assert any(option.get("pattern") == WEBHOOK_URL_PATTERN for option in options)
