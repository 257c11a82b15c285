"""The human-readable PDF: fonts, watermark, paper sizes, pagination, QR code."""

from __future__ import annotations

import pytest
from reportlab.graphics.barcode import qrencoder

from billing.renderers import (
    DocumentFormat,
    DocumentStatus,
    RenderOptions,
    UnknownPaperSizeError,
    paper_size_names,
    render,
)
from billing.renderers.pdf import PdfRenderer

from .conftest import RenderFn
from .factories import PUBLIC_URL, complete_document, credit_note, kenyan_shillings, many_lines
from .pdf_tools import STANDARD_14, all_fonts, media_boxes, page_texts, qr_matrix_from_page

PDF = DocumentFormat.PDF


def pdf_of(document: object, **options: object) -> bytes:
    return render(document, PDF, RenderOptions(**options)).content  # type: ignore[arg-type]


class TestFonts:
    @pytest.mark.parametrize("case", ["single_rate", "many_lines_300", "kes", "credit_note_381"])
    def test_every_font_is_embedded_truetype(self, case: str, rendered: RenderFn) -> None:
        fonts = all_fonts(rendered(case, PDF).content)
        assert fonts
        for base, subtype, embedded in fonts:
            assert embedded, base
            assert subtype in ("/TrueType", "/Type0", "/Type3"), base
            assert base.split("+")[-1] not in STANDARD_14
            assert "DejaVuSans" in base

    def test_draft_watermark_font_is_embedded(self) -> None:
        fonts = all_fonts(pdf_of(complete_document(status="draft")))
        assert all(embedded for _, _, embedded in fonts)
        assert {base.split("+")[-1] for base, _, _ in fonts} == {"DejaVuSans", "DejaVuSans-Bold"}

    def test_non_latin_names_and_currency_symbols_print(self, rendered: RenderFn) -> None:
        text = page_texts(rendered("single_rate", PDF).content)[0]
        for expected in ("Łódź Cloud", "Müller & Dvořák GmbH", "Équipe Rivière SARL", "€"):
            assert expected in text
        kenya = page_texts(pdf_of(kenyan_shillings()))[0]
        assert "KSh" in kenya
        assert "M-Pesa" in kenya


class TestWatermark:
    def test_drafts_carry_the_watermark(self) -> None:
        text = "\n".join(page_texts(pdf_of(complete_document(status="draft"))))
        assert "DRAFT" in text

    def test_issued_invoices_do_not(self, rendered: RenderFn) -> None:
        text = "\n".join(page_texts(rendered("single_rate", PDF).content))
        assert "DRAFT" not in text

    def test_every_page_of_a_long_draft(self) -> None:
        pages = page_texts(
            pdf_of(many_lines(120).model_copy(update={"status": DocumentStatus.DRAFT}))
        )
        assert len(pages) > 1
        assert all("DRAFT" in page for page in pages)


class TestPaper:
    @pytest.mark.parametrize(
        ("name", "size"),
        [
            ("A4", (595.28, 841.89)),
            ("Letter", (612.0, 792.0)),
            ("A5", (419.53, 595.28)),
            ("A6", (297.64, 419.53)),
            ("Legal", (612.0, 1008.0)),
            ("Ledger", (1224.0, 792.0)),
        ],
    )
    def test_paper_size_sets_the_media_box(self, name: str, size: tuple[float, float]) -> None:
        boxes = media_boxes(pdf_of(complete_document(), paper_size=name))
        assert set(boxes) == {size}

    def test_landscape(self) -> None:
        boxes = media_boxes(pdf_of(complete_document(), paper_size="A4", landscape=True))
        assert set(boxes) == {(841.89, 595.28)}

    @pytest.mark.parametrize("name", paper_size_names())
    def test_every_paper_size_renders(self, name: str) -> None:
        text = page_texts(pdf_of(complete_document(), paper_size=name))
        assert "INV-2026-00042" in text[0]

    def test_unknown_paper_size(self) -> None:
        with pytest.raises(UnknownPaperSizeError) as raised:
            RenderOptions(paper_size="A0-ish")
        assert raised.value.code == "unknown_paper_size"
        assert "A4" in raised.value.allowed


class TestPagination:
    def test_long_invoice_repeats_the_table_header(self, rendered: RenderFn) -> None:
        pages = page_texts(rendered("many_lines_300", PDF).content)
        assert len(pages) >= 5
        for number, text in enumerate(pages, 1):
            assert f"Page {number} of {len(pages)}" in text
        # The line table runs over every page but the last, which may hold only the totals.
        line_pages = [text for text in pages if "Usage item" in text]
        assert len(line_pages) >= len(pages) - 1
        for text in line_pages:
            for header in ("Item", "Qty", "Unit price", "Amount"):
                assert header in text
        assert "Usage item 000" in pages[0]
        assert "Usage item 299" in "\n".join(pages[-2:])

    def test_small_paper_paginates_more(self) -> None:
        document = many_lines(60)
        a4 = page_texts(pdf_of(document, paper_size="A4"))
        a6 = page_texts(pdf_of(document, paper_size="A6"))
        assert len(a6) > len(a4)


class TestContent:
    def test_qr_code_encodes_the_public_url(self, rendered: RenderFn) -> None:
        content = rendered("single_rate", PDF).content
        drawn = qr_matrix_from_page(content)
        # Encode independently with reportlab's encoder (same level M and mask 2).
        for version in range(1, 11):
            encoder = qrencoder.QRCode(version, qrencoder.QRErrorCorrectLevel.M)
            encoder.addData(PUBLIC_URL)
            try:
                encoder.makeImpl(False, 2)
            except Exception:
                continue
            count = encoder.getModuleCount()
            if count == len(drawn):
                expected = [
                    [bool(encoder.isDark(r, c)) for c in range(count)] for r in range(count)
                ]
                assert drawn == expected
                break
        else:
            pytest.fail("no QR version matches the drawn matrix")
        assert PUBLIC_URL in page_texts(content)[0].replace("\n", "")

    def test_no_qr_without_public_url(self) -> None:
        text = page_texts(pdf_of(complete_document(public_url=None)))[0]
        assert "Scan to view" not in text

    def test_totals_payment_and_notes(self, rendered: RenderFn) -> None:
        text = page_texts(rendered("mixed_rates_discount_charge", PDF).content)[0]
        for expected in (
            "Subtotal",
            "Discount",
            "Charge",
            "Total excl. VAT",
            "Balance due",
            "DE89370400440532013000",
            "COBADEFFXXX",
            "Commerzbank",
            "How to pay",
            "Bank transfer",
            "Thank you for your business.",
            "04011000-12345-34",
            "PO-7781",
        ):
            assert expected in text, expected

    def test_amount_paid_and_balance(self) -> None:
        text = page_texts(pdf_of(kenyan_shillings()))[0]
        assert "Amount paid" in text
        assert "KSh\xa01,000.00" in text or "KSh 1,000.00" in text
        assert "Balance due" in text

    def test_credit_note_title_and_reference(self) -> None:
        text = page_texts(pdf_of(credit_note()))[0]
        assert "Credit note" in text
        assert "Corrects invoice" in text

    def test_languages(self) -> None:
        text = page_texts(pdf_of(complete_document(language="de", status="draft")))[0]
        assert "Rechnung" in text
        assert "ENTWURF" in text
        assert "Seite 1 von 1" in text
        french = page_texts(pdf_of(complete_document(language="fr")))[0]
        assert "Facture" in french
        assert "Page 1 sur 1" in french
        kinyarwanda = page_texts(pdf_of(complete_document(language="rw")))[0]
        assert "Fagitire" in kinyarwanda
        assert "Urupapuro 1 kuri 1" in kinyarwanda
        fallback = page_texts(pdf_of(complete_document(language="sw")))[0]
        assert "Invoice" in fallback

    def test_exemption_reason_printed(self, rendered: RenderFn) -> None:
        text = page_texts(rendered("reverse_charge_AE", PDF).content)[0]
        assert "Reverse charge" in text


class TestDeterminism:
    def test_same_input_same_bytes(self) -> None:
        document = complete_document(status="draft")
        first = PdfRenderer().render(document)
        second = PdfRenderer().render(document)
        assert first.content == second.content
        assert first.sha256 == second.sha256

    def test_metadata(self) -> None:
        rendered_pdf = PdfRenderer().render(complete_document())
        assert rendered_pdf.media_type == "application/pdf"
        assert rendered_pdf.filename == "INV-2026-00042.pdf"
        assert b"/CreationDate (D:20260501000000+00'00')" in rendered_pdf.content
