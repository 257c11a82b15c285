"""``TextLines``: lines of plain text in one paragraph style, without the Paragraph machinery.

Almost every text block of an invoice is a few short lines that never wrap: a heading, a
name, an address, "Invoice", a date. As Paragraphs they cost about half of a one-page render
(markup parsing, line breaking, fragment drawing) for text that is placed exactly where
plain ``drawString`` calls would place it. ``TextLines`` measures its lines once; when every
line fits the width it is given, it lays them out as Paragraph does (first baseline one font
size below the top, one ``leading`` per line, left or right aligned, the width it is given
as its own) and draws them with one text object. Anything else, a line that would wrap, a
split across pages, text DejaVu cannot print, tabs or other whitespace Paragraph treats
specially, becomes the Paragraph it replaces, so the output is the one Paragraph gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, Paragraph

from billing.renderers.pdf_text import markup, needs_fallback

# Lines that fit within this much of the width are drawn directly; closer calls go to
# Paragraph, whose word-by-word measure may round the other way.
_FIT_MARGIN = 0.01


def _plain(line: str) -> bool:
    # Paragraph collapses runs of spaces and drops them at the ends of a line (done here
    # too); other whitespace, control and soft-hyphen characters have rules of their own.
    return bool(line.strip(" ")) and line.isprintable() and "\xad" not in line


class TextLines(Flowable):  # type: ignore[misc]
    """Plain-text lines (not markup) in ``style``; a Paragraph of them when they do not fit."""

    def __init__(
        self,
        lines: Sequence[str],
        style: ParagraphStyle,
        *,
        details: Sequence[str] = (),
        detail_size: float | None = None,
        detail_color: str = "#000000",
    ) -> None:
        super().__init__()
        self.lines = list(lines)
        self.style = style
        # Detail lines follow in a smaller size and another colour, at the same leading: what
        # Paragraph makes of ``<br/><font size=.. color=..>detail<br/>detail</font>``.
        self.details = list(details)
        self.detail_size = detail_size if detail_size is not None else style.fontSize
        self.detail_color = detail_color
        self._paragraph: Paragraph | None = None
        self._delegate: Paragraph | None = None
        self._words: list[str] | None = None
        self._widths: list[float] = []
        simple_style = (
            style.alignment in (TA_LEFT, TA_RIGHT)
            and not (style.leftIndent or style.rightIndent or style.firstLineIndent)
            and not style.backColor
            and not style.borderWidth
            and not getattr(style, "autoLeading", "")
            and (not self.details or style.alignment == TA_LEFT)
        )
        every = self.lines + self.details
        if simple_style and self.lines and all(_plain(line) for line in every):
            words = [" ".join(part for part in line.split(" ") if part) for line in every]
            if not any(needs_fallback(line) for line in words):
                font = style.fontName
                sizes = [style.fontSize] * len(self.lines) + [self.detail_size] * len(self.details)
                self._words = words
                self._widths = [
                    pdfmetrics.stringWidth(line, font, size)
                    for line, size in zip(words, sizes, strict=True)
                ]

    def paragraph(self) -> Paragraph:
        """The Paragraph these lines stand for (built on first use)."""
        if self._paragraph is None:
            text = "<br/>".join(markup(line) for line in self.lines)
            if self.details:
                text += "<br/><font size='{:.1f}' color='{}'>{}</font>".format(
                    self.detail_size,
                    self.detail_color,
                    "<br/>".join(markup(line) for line in self.details),
                )
            self._paragraph = Paragraph(text, self.style)
        return self._paragraph

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        limit = available_width - _FIT_MARGIN
        if self._words is not None and all(width <= limit for width in self._widths):
            self._delegate = None
            self.width = available_width
            self.height = len(self._words) * self.style.leading
            return (self.width, self.height)
        self._delegate = self.paragraph()
        width, height = self._delegate.wrap(available_width, available_height)
        self.width, self.height = width, height
        return (width, height)

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        paragraph = self.paragraph()
        paragraph.wrap(available_width, available_height)
        return list(paragraph.split(available_width, available_height))

    def getSpaceBefore(self) -> float:
        return float(self.style.spaceBefore)

    def getSpaceAfter(self) -> float:
        return float(self.style.spaceAfter)

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:
        if self._delegate is not None:
            self._delegate.drawOn(canvas, x, y, _sW)
        else:
            super().drawOn(canvas, x, y, _sW)

    def draw(self) -> None:
        assert self._words is not None
        canvas, style = self.canv, self.style
        size, leading = style.fontSize, style.leading
        right = style.alignment == TA_RIGHT
        canvas.saveState()
        canvas.setFillColor(style.textColor)
        text = canvas.beginText()
        text.setFont(style.fontName, size, leading)
        baseline = self.height - size
        for index, (line, width) in enumerate(zip(self._words, self._widths, strict=True)):
            if index == len(self.lines):
                text.setFont(style.fontName, self.detail_size, leading)
                text.setFillColor(colors.HexColor(self.detail_color))
            text.setTextOrigin(self.width - width if right else 0.0, baseline)
            text.textOut(line)
            baseline -= leading
        canvas.drawText(text)
        canvas.restoreState()
