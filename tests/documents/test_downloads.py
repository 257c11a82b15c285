"""Invoice downloads over HTTP: formats, validity, totals, caching, storage and scoping."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import uuid
from typing import Any

import httpx
import pytest
from lxml import etree

from billing.documents import render_pool as render_pool_module
from billing.renderers import DocumentFormat, InvoiceDocument, RenderedDocument, RenderOptions
from billing.renderers.validation import Syntax, validate_xml
from billing.renderers.zugferd import embedded_xml
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory
from tests.renderers.pdf_tools import page_texts

from .conftest import (
    ADMIN_INVOICES,
    TENANT_INVOICES,
    UBL_NS,
    api_totals,
    cii_totals,
    create_buyer,
    issue,
    page_size,
    set_pdf_url,
    stored_rows,
    ubl_totals,
)

A4 = (595.3, 841.9)
A5 = (419.5, 595.3)


class RenderCounter:
    """Counts the renders that reach the renderers (they run in worker threads)."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()
        self._render = render_pool_module.render_document

    def __call__(
        self, document: InvoiceDocument, document_format: DocumentFormat, options: RenderOptions
    ) -> RenderedDocument:
        with self._lock:
            self.calls += 1
        return self._render(document, document_format, options)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> RenderCounter:
    counter = RenderCounter()
    monkeypatch.setattr(render_pool_module, "render_document", counter)
    return counter


def download(invoice_id: str, document_format: str, base: str = ADMIN_INVOICES) -> str:
    return f"{base}/{invoice_id}/download?format={document_format}"


class TestFormats:
    @pytest.mark.parametrize(
        ("document_format", "media_type", "suffix", "syntax"),
        [
            ("ubl", "application/xml", "-ubl.xml", Syntax.UBL),
            ("xrechnung", "application/xml", "-xrechnung.xml", Syntax.UBL),
            ("cii", "application/xml", "-cii.xml", Syntax.CII),
            ("zugferd", "application/pdf", "-facturx.pdf", Syntax.CII),
            ("facturx", "application/pdf", "-facturx.pdf", Syntax.CII),
        ],
    )
    async def test_einvoice_is_valid_and_matches_the_api_totals(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        document_format: str,
        media_type: str,
        suffix: str,
        syntax: Syntax,
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        headers = tokens.owner(uuid.UUID(buyer["id"]))
        response = await client.get(
            download(invoice["id"], document_format, TENANT_INVOICES), headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(media_type)
        number = invoice["invoice_number"]
        assert response.headers["content-disposition"] == (
            f'attachment; filename="{number}{suffix}"'
        )
        xml = response.content
        if media_type == "application/pdf":
            assert xml.startswith(b"%PDF-")
            xml = embedded_xml(response.content)
        assert validate_xml(xml, syntax) == []
        totals = ubl_totals(xml) if syntax is Syntax.UBL else cii_totals(xml)
        assert totals == api_totals(invoice)
        assert totals["BT-112"] == "221.35"

    async def test_pdf(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        response = await client.get(download(invoice["id"], "pdf"), headers=tokens.admin())
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"] == (
            f'attachment; filename="{invoice["invoice_number"]}.pdf"'
        )
        text = "\n".join(page_texts(response.content))
        assert invoice["invoice_number"] in text
        assert "221.35" in text
        assert "DRAFT" not in text
        assert page_size(response.content) == A4

    async def test_format_defaults_to_pdf_and_names_are_case_insensitive(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        plain = await client.get(
            f"{ADMIN_INVOICES}/{invoice['id']}/download", headers=tokens.admin()
        )
        assert plain.headers["content-type"] == "application/pdf"
        upper = await client.get(download(invoice["id"], "UBL"), headers=tokens.admin())
        assert upper.status_code == 200
        assert upper.headers["content-type"].startswith("application/xml")

    async def test_a_client_asking_only_for_octet_stream_gets_that_type(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        url = download(invoice["id"], "xrechnung")
        generic = await client.get(
            url, headers={**tokens.admin(), "Accept": "application/octet-stream"}
        )
        assert generic.status_code == 200, generic.text
        assert generic.headers["content-type"] == "application/octet-stream"
        either = await client.get(
            url, headers={**tokens.admin(), "Accept": "application/xml, application/octet-stream"}
        )
        assert either.headers["content-type"].startswith("application/xml")
        assert either.content == generic.content

    async def test_unknown_format_lists_the_accepted_ones(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        response = await client.get(download(invoice["id"], "docx"), headers=tokens.admin())
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "unknown_format"
        assert error["details"][0]["allowed"] == [
            "pdf",
            "ubl",
            "xrechnung",
            "cii",
            "zugferd",
            "facturx",
        ]

    async def test_zero_decimal_currency(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(
            factory,
            buyer["id"],
            currency="JPY",
            discount_amount="0",
            items=[{"name": "Yen", "quantity": "3", "unit_price": "333", "tax_rate": "10"}],
        )
        assert invoice["total_amount"] == "1099"
        pdf = await client.get(download(invoice["id"], "pdf"), headers=tokens.admin())
        assert "1,099" in "\n".join(page_texts(pdf.content))
        xml = await client.get(download(invoice["id"], "cii"), headers=tokens.admin())
        assert xml.status_code == 200, xml.text
        assert validate_xml(xml.content, Syntax.CII) == []
        assert cii_totals(xml.content) == api_totals(invoice)

    async def test_yen_price_with_decimals_renders_in_every_format(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(
            factory,
            buyer["id"],
            currency="JPY",
            discount_amount="0",
            items=[{"name": "Yen", "quantity": "3", "unit_price": "333.5", "tax_rate": "10"}],
        )
        assert invoice["items"][0]["line_total"] == "1001"
        for document_format in ("ubl", "xrechnung"):
            xml = await client.get(download(invoice["id"], document_format), headers=tokens.admin())
            assert xml.status_code == 200, xml.text
            # 3 x 333.5 is 1000.5, charged as 1001 yen: the line states 1001 yen per 3 units,
            # which multiplies back to its net exactly (PEPPOL-EN16931-R120).
            root = etree.fromstring(xml.content)
            price = root.find(".//cac:Price", UBL_NS)
            assert price is not None
            assert price.findtext("cbc:PriceAmount", namespaces=UBL_NS) == "1001"
            assert price.findtext("cbc:BaseQuantity", namespaces=UBL_NS) == "3"
        cii = await client.get(download(invoice["id"], "cii"), headers=tokens.admin())
        assert cii.status_code == 200, cii.text


class TestConditionalRequests:
    @pytest.mark.parametrize("document_format", ["pdf", "ubl", "xrechnung", "cii", "zugferd"])
    async def test_etag_and_304(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        document_format: str,
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        url = download(invoice["id"], document_format)
        first = await client.get(url, headers=tokens.admin())
        etag = first.headers["etag"]
        assert etag == f'"{hashlib.sha256(first.content).hexdigest()}"'
        assert first.headers["cache-control"] == "private, no-cache"
        again = await client.get(url, headers={**tokens.admin(), "If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        weak = await client.get(url, headers={**tokens.admin(), "If-None-Match": f"W/{etag}"})
        assert weak.status_code == 304
        listed = await client.get(url, headers={**tokens.admin(), "If-None-Match": f'"x", {etag}'})
        assert listed.status_code == 304
        other = await client.get(url, headers={**tokens.admin(), "If-None-Match": '"other"'})
        assert other.status_code == 200
        assert other.content == first.content


class TestDrafts:
    async def test_draft_pdf_is_marked_and_not_stored(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        database_url: str,
        renders: RenderCounter,
    ) -> None:
        draft = await factory.create_invoice(buyer["id"], items=[{"name": "X", "unit_price": "10"}])
        for url in (f"{ADMIN_INVOICES}/{draft['id']}/pdf", download(draft["id"], "pdf")):
            response = await client.get(url, headers=tokens.admin())
            assert response.status_code == 200, response.text
            assert response.headers["content-disposition"] == (
                f'attachment; filename="draft-{draft["id"]}.pdf"'
            )
            assert all("DRAFT" in page for page in page_texts(response.content))
        tenant = await client.get(
            f"{TENANT_INVOICES}/{draft['id']}/pdf", headers=tokens.member(uuid.UUID(buyer["id"]))
        )
        assert tenant.status_code == 200
        assert renders.calls == 3
        assert await stored_rows(database_url, draft["id"]) == []

    @pytest.mark.parametrize("document_format", ["ubl", "xrechnung", "cii", "zugferd"])
    async def test_draft_has_no_einvoice(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        document_format: str,
    ) -> None:
        draft = await factory.create_invoice(buyer["id"])
        response = await client.get(download(draft["id"], document_format), headers=tokens.admin())
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "einvoice_requires_issued_invoice"

    async def test_cancelled_and_paid_invoices_have_einvoices(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        cancelled = await issue(factory, buyer["id"])
        await client.put(f"{ADMIN_INVOICES}/{cancelled['id']}/cancel", headers=tokens.admin())
        paid = await issue(factory, buyer["id"], status="paid", payment_method="bank")
        for invoice in (cancelled, paid):
            response = await client.get(download(invoice["id"], "cii"), headers=tokens.admin())
            assert response.status_code == 200, response.text


class TestPaperSizes:
    async def test_a5_and_default_from_settings(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        a5 = await client.get(
            f"{ADMIN_INVOICES}/{invoice['id']}/pdf?paper=a5", headers=tokens.admin()
        )
        assert a5.status_code == 200
        assert page_size(a5.content) == A5
        a4 = await client.get(f"{ADMIN_INVOICES}/{invoice['id']}/pdf", headers=tokens.admin())
        assert page_size(a4.content) == A4
        await factory.put_settings(default_paper_size="Letter")
        letter = await client.get(f"{ADMIN_INVOICES}/{invoice['id']}/pdf", headers=tokens.admin())
        assert page_size(letter.content) == (612.0, 792.0)
        facturx = await client.get(
            f"{download(invoice['id'], 'zugferd')}&paper=A5", headers=tokens.admin()
        )
        assert page_size(facturx.content) == A5

    async def test_unknown_paper_size(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        for url in (
            f"{ADMIN_INVOICES}/{invoice['id']}/pdf?paper=A17",
            f"{download(invoice['id'], 'pdf')}&paper=napkin",
        ):
            response = await client.get(url, headers=tokens.admin())
            assert response.status_code == 422
            error = response.json()["error"]
            assert error["code"] == "unknown_paper_size"
            assert "A5" in error["details"][0]["allowed"]
            assert "Letter" in error["message"]


class TestPdfUrl:
    async def test_pdf_route_redirects_to_a_stored_pdf_url(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        database_url: str,
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        target = "https://files.example.com/invoices/abc.pdf"
        await set_pdf_url(database_url, invoice["id"], target)
        for url, headers in (
            (f"{ADMIN_INVOICES}/{invoice['id']}/pdf", tokens.admin()),
            (f"{TENANT_INVOICES}/{invoice['id']}/pdf", tokens.owner(uuid.UUID(buyer["id"]))),
        ):
            response = await client.get(url, headers=headers)
            assert response.status_code == 307
            assert response.headers["location"] == target
        rendered = await client.get(download(invoice["id"], "pdf"), headers=tokens.admin())
        assert rendered.status_code == 200


class TestStorage:
    async def test_second_download_is_served_from_storage(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        database_url: str,
        renders: RenderCounter,
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        first = await client.get(download(invoice["id"], "xrechnung"), headers=tokens.admin())
        second = await client.get(
            download(invoice["id"], "xrechnung", TENANT_INVOICES),
            headers=tokens.owner(uuid.UUID(buyer["id"])),
        )
        assert first.content == second.content
        assert renders.calls == 1
        rows = await stored_rows(database_url, invoice["id"])
        assert [(row["format"], row["paper_size"], row["presentation_key"]) for row in rows] == [
            ("xrechnung", "", "")
        ]
        assert f'"{rows[0]["sha256"]}"' == first.headers["etag"]

    async def test_each_paper_size_is_its_own_rendition(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        database_url: str,
        renders: RenderCounter,
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        for paper in ("A4", "a4", "A5", "Letter", "A5"):
            response = await client.get(
                f"{ADMIN_INVOICES}/{invoice['id']}/pdf?paper={paper}", headers=tokens.admin()
            )
            assert response.status_code == 200
        assert renders.calls == 3
        rows = await stored_rows(database_url, invoice["id"])
        assert sorted(row["paper_size"] for row in rows) == ["A4", "A5", "Letter"]

    async def test_concurrent_first_downloads(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        database_url: str,
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        for document_format in ("pdf", "ubl"):
            url = download(invoice["id"], document_format)
            responses = await asyncio.gather(
                *(client.get(url, headers=tokens.admin()) for _ in range(10))
            )
            assert {response.status_code for response in responses} == {200}
            assert len({response.content for response in responses}) == 1
            assert len({response.headers["etag"] for response in responses}) == 1
        rows = await stored_rows(database_url, invoice["id"])
        assert sorted(row["format"] for row in rows) == ["pdf", "ubl"]

    async def test_payment_changes_the_pdf_but_not_the_xml(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        factory: Factory,
        buyer: Any,
        database_url: str,
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        before = {
            fmt: await client.get(download(invoice["id"], fmt), headers=tokens.admin())
            for fmt in ("pdf", "ubl", "zugferd")
        }
        assert "Issued" in page_texts(before["pdf"].content)[0]
        paid = await client.patch(
            f"{ADMIN_INVOICES}/{invoice['id']}/status",
            headers=tokens.admin(),
            json={"status": "paid", "payment_method": "bank"},
        )
        assert paid.status_code == 200, paid.text
        after = {
            fmt: await client.get(download(invoice["id"], fmt), headers=tokens.admin())
            for fmt in ("pdf", "ubl", "zugferd")
        }
        assert after["ubl"].content == before["ubl"].content
        assert after["ubl"].headers["etag"] == before["ubl"].headers["etag"]
        assert after["pdf"].content != before["pdf"].content
        text = page_texts(after["pdf"].content)[0]
        assert "Paid" in text
        assert "Amount paid" in text
        assert embedded_xml(after["zugferd"].content) == embedded_xml(before["zugferd"].content)
        rows = await stored_rows(database_url, invoice["id"])
        assert sorted(row["format"] for row in rows) == ["pdf", "pdf", "ubl", "zugferd", "zugferd"]


class TestScoping:
    async def test_another_tenants_invoice_is_404(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        other = await create_buyer(factory, tokens)
        theirs = await issue(factory, other["id"])
        headers = tokens.owner(uuid.UUID(buyer["id"]))
        for url in (
            download(theirs["id"], "pdf", TENANT_INVOICES),
            download(theirs["id"], "ubl", TENANT_INVOICES),
            f"{TENANT_INVOICES}/{theirs['id']}/pdf",
            f"{TENANT_INVOICES}/{uuid.uuid4()}/pdf",
        ):
            response = await client.get(url, headers=headers)
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "invoice_not_found"

    async def test_roles(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory, buyer: Any
    ) -> None:
        invoice = await issue(factory, buyer["id"])
        url = download(invoice["id"], "ubl", TENANT_INVOICES)
        assert (await client.get(url)).status_code == 401
        assert (await client.get(url, headers=tokens.admin())).status_code == 403
        member = await client.get(url, headers=tokens.member(uuid.UUID(buyer["id"])))
        assert member.status_code == 200
        admin_url = download(invoice["id"], "ubl")
        owner = await client.get(admin_url, headers=tokens.owner(uuid.UUID(buyer["id"])))
        assert owner.status_code == 403

    async def test_reseller_sees_only_its_subtree(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        mine = await factory.create_reseller()
        theirs = await factory.create_reseller()
        my_buyer = await create_buyer(factory, tokens, reseller_id=mine["id"])
        their_buyer = await create_buyer(factory, tokens, reseller_id=theirs["id"])
        my_invoice = await issue(factory, my_buyer["id"])
        their_invoice = await issue(factory, their_buyer["id"])
        headers = tokens.reseller(uuid.UUID(mine["id"]))
        for path in ("download?format=cii", "pdf"):
            allowed = await client.get(
                f"{ADMIN_INVOICES}/{my_invoice['id']}/{path}", headers=headers
            )
            assert allowed.status_code == 200
            hidden = await client.get(
                f"{ADMIN_INVOICES}/{their_invoice['id']}/{path}", headers=headers
            )
            assert hidden.status_code == 404
            assert hidden.json()["error"]["code"] == "invoice_not_found"
