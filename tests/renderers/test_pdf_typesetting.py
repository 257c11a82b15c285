"""PDF typesetting: CJK text, line breaks, very large amounts, VAT ids of O invoices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from reportlab.platypus import Table

from billing.renderers import DocumentFormat, InvoiceDocument, RenderOptions, render
from billing.renderers.pdf import _Layout
from billing.renderers.pdf_text import FONT_CJK, string_width

from .factories import buyer, complete_document, line, outside_scope
from .pdf_tools import all_fonts, page_texts

CJK_NAME = "株式会社テスト商事"
CJK_ITEM = "クラウドサーバー 월간 云服务"


def pdf_of(document: InvoiceDocument, paper: str = "A4") -> bytes:
    return render(document, DocumentFormat.PDF, RenderOptions(paper_size=paper)).content


def huge() -> InvoiceDocument:
    return complete_document(
        [
            line("Data centre", 1, "8403361344.54", 19),
            line("Power", "1.5", "999999.999", 7),
        ]
    )


def overflowing_cells(table: Table) -> list[tuple[int, int, str, float, float]]:
    """String cells wider than their column (text width + padding > column width)."""
    found = []
    for row_index, row in enumerate(table._cellvalues):
        for col_index, cell in enumerate(row):
            if not isinstance(cell, str):
                continue
            style = table._cellStyles[row_index][col_index]
            needed = (
                string_width(cell, style.fontname, style.fontsize)
                + style.leftPadding
                + style.rightPadding
            )
            width = table._colWidths[col_index]
            if needed > width + 0.01:
                found.append((row_index, col_index, cell, needed, width))
    return found


def summary_tables(layout: _Layout) -> list[Table]:
    tables: list[Table] = []
    for flowable in layout.summary():
        if not isinstance(flowable, Table):
            continue
        inner = [cell for row in flowable._cellvalues for cell in row if isinstance(cell, Table)]
        tables.extend(inner or [flowable])
    return tables


class TestCjk:
    def test_cjk_text_uses_an_embedded_cjk_font(self) -> None:
        # Defect: CJK text printed as empty boxes (DejaVu Sans has no CJK glyph).
        document = complete_document([line(CJK_ITEM, 1, "100.00", 19)], buyer=buyer(name=CJK_NAME))
        content = pdf_of(document)
        fonts = all_fonts(content)
        cjk = [font for font in fonts if FONT_CJK in font[0]]
        assert cjk
        assert all(embedded for _, _, embedded in fonts)
        text = page_texts(content)[0]
        assert CJK_NAME in text
        assert "クラウドサーバー" in text

    def test_latin_only_documents_do_not_embed_it(self) -> None:
        fonts = all_fonts(pdf_of(complete_document()))
        assert not [font for font in fonts if FONT_CJK in font[0]]

    def test_cjk_factur_x_stays_pdfa_embedded(self) -> None:
        document = complete_document(buyer=buyer(name=CJK_NAME))
        content = render(document, DocumentFormat.ZUGFERD).content
        assert all(embedded for _, _, embedded in all_fonts(content))


class TestLineBreaks:
    def test_description_lines_stay_apart(self) -> None:
        # Defect: a Paragraph collapsed the line breaks of descriptions into spaces.
        document = complete_document(
            [
                line(
                    "Support",
                    1,
                    "100.00",
                    19,
                    description="First week: setup\nSecond week: training",
                )
            ]
        )
        text = page_texts(pdf_of(document))[0]
        assert "First week: setup\nSecond week: training" in text

    def test_notes_and_payment_terms_keep_their_lines(self) -> None:
        document = complete_document(
            notes=["Delivery in two parts:\npart one in May"],
            payment_terms="#SKONTO#TAGE=14#PROZENT=2.00#\nNet 30 days.",
        )
        text = page_texts(pdf_of(document))[0]
        assert "Delivery in two parts:\npart one in May" in text
        assert "#SKONTO#TAGE=14#PROZENT=2.00#\nNet 30 days." in text


class TestLargeAmounts:
    @pytest.mark.parametrize("paper", ["A4", "Letter", "A5", "A6"])
    def test_no_amount_is_wider_than_its_column(self, paper: str) -> None:
        # Defect: amounts near 10^10 printed over the VAT column and the VAT breakdown.
        document = huge()
        assert document.totals.tax_inclusive > Decimal("9999999999")
        layout = _Layout(document, RenderOptions(paper_size=paper).pagesize)
        assert overflowing_cells(layout.line_table()) == []
        for table in summary_tables(layout):
            assert overflowing_cells(table) == []
        assert pdf_of(document, paper).startswith(b"%PDF")

    @pytest.mark.parametrize("factory", [huge, complete_document])
    def test_summary_tables_do_not_overlap(self, factory: Any) -> None:
        layout = _Layout(factory(), RenderOptions().pagesize)
        tables = [f for f in layout.summary() if isinstance(f, Table)]
        for table in tables:
            assert sum(table._colWidths) <= layout.frame_width + 0.01
            nested = [cell for row in table._cellvalues for cell in row if isinstance(cell, Table)]
            # Side by side: each inner table stays inside its half.
            for inner, width in zip(nested, table._colWidths, strict=False):
                assert sum(inner._colWidths) <= width + 0.01

    def test_ordinary_invoices_keep_their_layout(self) -> None:
        layout = _Layout(complete_document(), RenderOptions().pagesize)
        table = layout.line_table()
        widths: Any = table._colWidths
        assert [round(w / layout.frame_width, 2) for w in widths] == [
            0.05,
            0.43,
            0.12,
            0.16,
            0.08,
            0.16,
        ]


class TestOutsideScope:
    def test_no_vat_identifiers_are_printed(self) -> None:
        # Defect: the PDF printed both VAT ids that the XML rightly omits (BR-O-02).
        document = outside_scope()
        assert document.seller.vat_id
        assert document.buyer.vat_id
        text = page_texts(pdf_of(document))[0]
        assert document.seller.vat_id not in text
        assert document.buyer.vat_id not in text
        assert "VAT ID" not in text
        # The tax number (BT-32) is no VAT identifier and stays.
        assert "27/123/45678" in text
