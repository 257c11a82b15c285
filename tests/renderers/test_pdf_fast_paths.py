"""The PDF's fast paths: TextLines against Paragraph, batched table cells, per-process caches."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph

from billing.renderers import DocumentFormat, RenderOptions, render
from billing.renderers.pdf_lines import TextLines
from billing.renderers.pdf_table import TextBatchTable
from billing.renderers.pdf_text import FONT_BOLD, FONT_REGULAR, markup

from .factories import buyer, complete_document, line

LEFT = ParagraphStyle("left", fontName=FONT_REGULAR, fontSize=9, leading=11.7)
RIGHT = ParagraphStyle("right", parent=LEFT, fontName=FONT_BOLD, alignment=TA_RIGHT)


def drawn_text(flowable: Flowable, width: float) -> str:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, initialFontName=FONT_REGULAR)
    flowable.wrapOn(canvas, width, 800)
    flowable.drawOn(canvas, 36, 400)
    canvas.showPage()
    canvas.save()
    text = PdfReader(io.BytesIO(buffer.getvalue())).pages[0].extract_text()
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


class TestTextLines:
    @pytest.mark.parametrize("style", [LEFT, RIGHT], ids=["left", "right"])
    @pytest.mark.parametrize(
        "lines",
        [
            ["Müller & Dvořák GmbH"],
            ["Hauptstraße 1", "10115 Berlin", "USt-IdNr.: DE123456789"],
            ["two  spaces  inside ", " and at the ends "],
            ["a line long enough that it has to wrap in a narrow column of the page"],
            ["tab\tinside"],
            ["クラウド 云服务"],
            ["", "an empty line first"],
        ],
    )
    def test_takes_the_room_paragraph_takes(self, lines: list[str], style: ParagraphStyle) -> None:
        paragraph = Paragraph("<br/>".join(markup(text) for text in lines), style)
        for width in (120.0, 400.0):
            assert TextLines(lines, style).wrap(width, 800) == paragraph.wrap(width, 800)

    def test_prints_the_text_paragraph_prints(self) -> None:
        lines = ["Équipe Rivière SARL", "12 rue de la Paix <Paris> & co"]
        paragraph = Paragraph("<br/>".join(markup(text) for text in lines), LEFT)
        assert drawn_text(TextLines(lines, LEFT), 300) == drawn_text(paragraph, 300)

    def test_a_line_that_does_not_fit_wraps(self) -> None:
        long_line = "Usage of the managed database cluster in the Frankfurt region " * 2
        text_lines = TextLines([long_line], LEFT)
        _, height = text_lines.wrap(150, 800)
        assert height > 2 * LEFT.leading
        assert " ".join(drawn_text(text_lines, 150).split()) == " ".join(long_line.split())

    def test_splits_like_paragraph(self) -> None:
        lines = [f"Note line {number}" for number in range(40)]
        parts = TextLines(lines, LEFT).split(300, LEFT.leading * 10.5)
        assert len(parts) == 2
        assert parts[0].wrap(300, 800)[1] == pytest.approx(LEFT.leading * 10)

    def test_detail_lines_use_their_size_and_colour(self) -> None:
        detail = TextLines(["Support"], LEFT, details=["SKU: SKU-1"], detail_size=7.7)
        assert detail.wrap(300, 800) == (300, 2 * LEFT.leading)
        assert drawn_text(detail, 300).split() == ["Support", "SKU:", "SKU-1"]


class TestTextBatchTable:
    def test_cells_print_in_reading_order(self) -> None:
        table = TextBatchTable(
            [["#", "Item", "Amount"], ["1", "Hosting", "1.234,00 €"], ["2", "", "5,00 €"]],
            colWidths=[30, 150, 80],
        )
        table.setStyle(
            [("FONT", (0, 0), (-1, -1), FONT_REGULAR, 9), ("ALIGN", (2, 0), (2, -1), "RIGHT")]
        )
        text = drawn_text(table, 260)
        assert text.split() == [
            "#",
            "Item",
            "Amount",
            "1",
            "Hosting",
            "1.234,00",
            "€",
            "2",
            "5,00",
            "€",
        ]


class TestCaches:
    def test_rendering_other_documents_in_between_changes_no_byte(self) -> None:
        # Font subsets, their widths and maps, and the QR path are cached per process, keyed
        # by what they depend on: another document in between must not change the output.
        first = complete_document()
        other = complete_document(
            [line("クラウドサーバー", 2, "9.99", 19), line("Ωmega €", 1, "1.00", 7)],
            buyer=buyer(name="Ærø Ølstue ApS"),
            public_url="https://billing.example.com/i/another",
        )
        for document_format in (DocumentFormat.PDF, DocumentFormat.ZUGFERD):
            before = render(first, document_format).content
            render(other, document_format, RenderOptions(paper_size="Letter"))
            assert render(first, document_format).content == before
