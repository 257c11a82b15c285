"""The public invoice page and PDF: no authentication, issued invoices only, nothing more."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.renderers.pdf_tools import page_texts

from .conftest import ADMIN_INVOICES, PUBLIC_INVOICES, SELLER, issue


class TestPage:
    async def test_issued_invoice_page(
        self, client: httpx.AsyncClient, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"], payment_terms="Net 30 days")
        response = await client.get(f"{PUBLIC_INVOICES}/{invoice['public_id']}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        # A live payment page: never served from a cache once its invoice is paid.
        assert response.headers["cache-control"] == "no-store"
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "unsafe-inline" not in policy
        assert response.headers["x-robots-tag"] == "noindex"
        assert response.headers["referrer-policy"] == "no-referrer"
        page = response.text
        assert '<html lang="en">' in page
        # Scripts only with this response's nonce (data blocks aside), none from elsewhere.
        nonce = re.findall(r"'nonce-([^']+)'", policy)[0]
        for tag in re.findall(r"<script[^>]*>", page):
            assert f'nonce="{nonce}"' in tag or 'type="application/json"' in tag, tag
            assert "src=" not in tag, tag
        assert f"<h1>Invoice {invoice['invoice_number']}</h1>" in page
        assert "<caption>" in page
        assert "Nordlicht" in page
        assert "<img" not in page
        amount_due = page.split("Amount due")[1]
        assert invoice["balance"] in amount_due[:200]
        assert f'href="{invoice["public_id"]}/pdf"' in page
        assert SELLER["iban"] in page
        assert SELLER["bic"] in page
        assert "Commerzbank" in page
        assert "M-Pesa" in page
        assert "Net 30 days" in page
        assert "No payments have been recorded" in page
        assert invoice["issue_date"] in page
        # Nothing about the buyer.
        assert "Kunde AG" not in page
        assert "ap@kunde.example" not in page
        assert "Marktplatz" not in page

    async def test_logo_is_shown_only_when_set(
        self, client: httpx.AsyncClient, factory: Factory, buyer: Any
    ) -> None:
        await factory.put_settings(seller={"logo_url": "https://cdn.example.com/logo.png"})
        invoice = await issue(factory, buyer["id"])
        page = (await client.get(f"{PUBLIC_INVOICES}/{invoice['public_id']}")).text
        assert re.search(r'<img src="https://cdn.example.com/logo.png" alt="Nordlicht logo"', page)

    async def test_payment_history(
        self, client: httpx.AsyncClient, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"], status="paid", payment_method="bank")
        page = (await client.get(f"{PUBLIC_INVOICES}/{invoice['public_id']}")).text
        history = page.split("Payment history")[1]
        assert "<caption>Payments received</caption>" in history
        assert "Bank transfer" in history
        assert invoice["total_amount"] in history
        assert "paid in full" in page
        assert 'class="status status-paid"' in page

    async def test_unknown_and_draft_ids_are_404(
        self, client: httpx.AsyncClient, factory: Factory, buyer: Any
    ) -> None:
        draft = await factory.create_invoice(buyer["id"])
        for public_id in (draft["public_id"], "x" * 16, "not/a/valid/id", "a" * 200):
            for suffix in ("", "/pdf"):
                response = await client.get(f"{PUBLIC_INVOICES}/{public_id}{suffix}")
                assert response.status_code == 404, (public_id, suffix)
                error = response.json()["error"]
                assert error["code"] in ("invoice_not_found", "not_found")
                assert draft["id"] not in response.text
        for suffix in ("", "/pdf"):
            # A control character is not an unknown id but a malformed one.
            response = await client.get(f"{PUBLIC_INVOICES}/%00{suffix}")
            assert response.status_code == 422
            assert response.json()["error"]["code"] == "validation_error"


class TestPdf:
    async def test_public_pdf(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        url = f"{PUBLIC_INVOICES}/{invoice['public_id']}/pdf"
        response = await client.get(url)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["cache-control"] == "private, max-age=60"
        assert response.headers["x-robots-tag"] == "noindex"
        assert invoice["invoice_number"] in page_texts(response.content)[0]
        same = await client.get(f"{ADMIN_INVOICES}/{invoice['id']}/pdf", headers=tokens.admin())
        assert same.content == response.content
        cached = await client.get(url, headers={"If-None-Match": response.headers["etag"]})
        assert cached.status_code == 304
        a5 = await client.get(f"{url}?paper=A5")
        assert a5.status_code == 200
        assert a5.content != response.content

    async def test_public_routes_ignore_credentials_of_another_tenant(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        stranger = tokens.owner(uuid.uuid4())
        response = await client.get(f"{PUBLIC_INVOICES}/{invoice['public_id']}", headers=stranger)
        assert response.status_code == 200
