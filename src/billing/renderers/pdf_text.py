"""Text for the PDF: embedded fonts, a CJK fallback font, and line breaks kept.

DejaVu Sans (vendored in ``fonts/``) prints Latin, Greek and Cyrillic text and the currency
signs, but has no Chinese, Japanese or Korean glyph: such text printed as empty boxes.
Characters DejaVu lacks are set in WenQuanYi Micro Hei instead, a TrueType-outline CJK font
(Apache License 2.0, embedding allowed: OS/2 fsType 8) shipped by the PyPI package
``paperang-p2-fonts-cjk``. reportlab embeds a subset of it like DejaVu, so PDF/A-3 output
stays conformant (every font embedded). The CJK font is parsed only when a document needs it
(about 150 ms), and once per process.

Paragraph text goes through ``markup``: escaped, with runs of characters DejaVu lacks wrapped
in the fallback font, and line breaks turned into ``<br/>`` (Paragraphs otherwise collapse
them, which lost the line structure of descriptions and notes).
"""

from __future__ import annotations

import threading
from functools import cache
from importlib.resources import files
from itertools import groupby
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).parent / "fonts"
FONT_REGULAR = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_CJK = "WenQuanYiMicroHei"


def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold); parses the TTF files once per process."""
    registered = set(pdfmetrics.getRegisteredFontNames())
    if FONT_REGULAR not in registered:
        pdfmetrics.registerFont(TTFont(FONT_REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
    if FONT_BOLD not in registered:
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(
        FONT_REGULAR,
        normal=FONT_REGULAR,
        bold=FONT_BOLD,
        italic=FONT_REGULAR,
        boldItalic=FONT_BOLD,
    )


register_fonts()

_LOCK = threading.Lock()


@cache
def _covered() -> frozenset[int]:
    font = pdfmetrics.getFont(FONT_REGULAR)
    assert isinstance(font, TTFont)
    return frozenset(font.face.charToGlyph)


def _fallback_font() -> str:
    # Renders may run in several worker threads; register the font exactly once.
    with _LOCK:
        if FONT_CJK not in pdfmetrics.getRegisteredFontNames():
            path = files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"
            pdfmetrics.registerFont(TTFont(FONT_CJK, str(path), subfontIndex=0))
            # The face has no bold; bold text in it prints regular rather than failing.
            pdfmetrics.registerFontFamily(
                FONT_CJK, normal=FONT_CJK, bold=FONT_CJK, italic=FONT_CJK, boldItalic=FONT_CJK
            )
    return FONT_CJK


def needs_fallback(text: str) -> bool:
    """Whether ``text`` has a character DejaVu Sans cannot print."""
    covered = _covered()
    return any(ord(char) not in covered for char in text if char not in "\n\r\t")


def runs(text: str, font: str) -> list[tuple[str, str]]:
    """``text`` split into (font, piece) runs: ``font`` where it has the glyphs, else CJK."""
    if not needs_fallback(text):
        return [(font, text)]
    covered = _covered()
    fallback = _fallback_font()
    return [
        (font if own else fallback, "".join(chars))
        for own, chars in groupby(text, key=lambda char: ord(char) in covered)
    ]


def markup(text: str) -> str:
    """Paragraph markup for plain ``text``: escaped, CJK in the fallback font, breaks kept."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "<br/>".join(_line_markup(line) for line in lines)


def _line_markup(line: str) -> str:
    if not needs_fallback(line):
        return escape(line)
    return "".join(
        escape(piece) if font == FONT_REGULAR else f'<font face="{font}">{escape(piece)}</font>'
        for font, piece in runs(line, FONT_REGULAR)
    )


def string_width(text: str, font: str, size: float) -> float:
    """The printed width of ``text`` in points, fallback runs measured in their own font."""
    return float(sum(pdfmetrics.stringWidth(piece, name, size) for name, piece in runs(text, font)))


def draw_string(canvas: Any, x: float, y: float, text: str, font: str, size: float) -> None:
    """``canvas.drawString`` that switches to the fallback font where DejaVu lacks glyphs."""
    for name, piece in runs(text, font):
        canvas.setFont(name, size)
        canvas.drawString(x, y, piece)
        x += pdfmetrics.stringWidth(piece, name, size)
