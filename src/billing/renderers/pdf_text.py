"""Text for the PDF: embedded fonts, a CJK fallback font, and line breaks kept.

DejaVu Sans (vendored in ``fonts/``) prints Latin, Greek and Cyrillic text and the currency
signs, but has no Chinese, Japanese or Korean glyph: such text printed as empty boxes.
Characters DejaVu lacks are set in WenQuanYi Micro Hei instead, a TrueType-outline CJK font
(Apache License 2.0, embedding allowed: OS/2 fsType 8) shipped by the PyPI package
``paperang-p2-fonts-cjk``. reportlab embeds a subset of it like DejaVu, so PDF/A-3 output
stays conformant (every font embedded). The CJK font is parsed only when a document needs it
(about 150 ms), and once per process.

Embedding a subset costs about 1.5 ms per font and document (cutting the glyphs out of the
TTF and deflating them), the largest single cost of a one-page invoice. The subset is a pure
function of the characters it holds, and invoices of one seller and language print nearly
the same characters, so ``EmbeddedTTFont`` keeps the deflated subsets of the last few
character sets per process, with their /Widths arrays and ToUnicode maps; the objects it
writes are exactly reportlab's. Its ``addObjects`` and ``addSubsetObjects`` follow
reportlab 4.x's: compare them with reportlab's again when upgrading it.

Paragraph text goes through ``markup``: escaped, with runs of characters DejaVu lacks wrapped
in the fallback font, and line breaks turned into ``<br/>`` (Paragraphs otherwise collapse
them, which lost the line structure of descriptions and notes).
"""

from __future__ import annotations

import threading
from functools import cache, lru_cache
from importlib.resources import files
from itertools import groupby
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import (
    FF_NONSYMBOLIC,
    FF_SYMBOLIC,
    SUBSETN,
    TTFont,
    TTFontFace,
    makeToUnicodeCMap,
)

FONT_DIR = Path(__file__).parent / "fonts"
FONT_REGULAR = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_CJK = "WenQuanYiMicroHei"


_SUBSET_LOCK = threading.Lock()


@lru_cache(maxsize=128)
def _deflated_subset(face: TTFontFace, subset: tuple[int, ...]) -> tuple[bytes, int]:
    # makeSubset seeks and reads the face's shared file buffer: one thread at a time.
    with _SUBSET_LOCK:
        raw = face.makeSubset(list(subset))
    return pdfdoc.PDFZCompress.encode(raw), len(raw)


class _SubsetCachingFace(TTFontFace):  # type: ignore[misc]
    """A TrueType face whose embedded subsets are built and deflated once per character set."""

    def addSubsetObjects(self, doc: Any, fontname: str, subset: list[int]) -> Any:
        """Add the subset's font file and descriptor to ``doc``, as reportlab does."""
        if not doc.compression:
            return super().addSubsetObjects(doc, fontname, subset)
        deflated, length = _deflated_subset(self, tuple(subset))
        # Same dictionary, in the same key order, as reportlab's own: Length1, then the filter
        # it would add when formatting the stream (a stream that names its filter is written
        # as it is), then Length.
        font_file = pdfdoc.PDFStream(content=deflated)
        font_file.dictionary["Length1"] = length
        font_file.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        font_file_ref = doc.Reference(font_file, f"fontFile:{self.filename}({fontname})")
        # The descriptor as reportlab 4.x writes it: a symbolic font (flag 4, not 32).
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": self.ascent,
                "CapHeight": self.capHeight,
                "Descent": self.descent,
                "Flags": (self.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(self.bbox),
                "FontName": pdfdoc.PDFName(fontname),
                "ItalicAngle": self.italicAngle,
                "StemV": self.stemV,
                "FontFile2": font_file_ref,
                "MissingWidth": self.defaultWidth,
            }
        )
        return doc.Reference(descriptor, "fontDescriptor:" + fontname)


class _Formatted(pdfdoc.PDFObject):  # type: ignore[misc]
    """A PDF object whose serialisation is known in advance."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document: Any) -> bytes:
        return self.data


@lru_cache(maxsize=128)
def _subset_font_parts(
    face: TTFontFace, base_font_name: str, subset: tuple[int, ...]
) -> tuple[bytes, bytes]:
    # The /Widths array as PDFArray writes it (integers, no document state involved) and the
    # deflated ToUnicode CMap: 0.2 ms a font and document, the same for the same characters.
    widths = pdfdoc.PDFArray([face.getCharWidth(code) for code in subset]).format(None)
    cmap = pdfdoc.PDFZCompress.encode(makeToUnicodeCMap(base_font_name, list(subset)))
    return widths, cmap


class EmbeddedTTFont(TTFont):  # type: ignore[misc]
    """A ``TTFont`` that reuses the PDF objects of a subset it has written before."""

    def __init__(self, name: str, filename: str, **kwargs: Any) -> None:
        super().__init__(name, filename, **kwargs)
        # reportlab builds the face itself; the subclass only overrides one method.
        self.face.__class__ = _SubsetCachingFace

    def addObjects(self, doc: Any) -> None:
        """Add the font and its subsets to ``doc``: reportlab 4.x's objects, cached parts."""
        if not doc.compression:
            super().addObjects(doc)
            return
        try:
            state = self.state[doc]
        except KeyError:
            state = self.state[doc] = TTFont.State(self._asciiReadable)
        state.frozen = 1
        face = self.face
        for number, subset in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(number, doc)[1:]
            base_font_name = b"".join((SUBSETN(number), b"+", face.name, face.subfontNameX)).decode(
                "pdfdoc"
            )
            widths, cmap = _subset_font_parts(face, base_font_name, tuple(subset))
            font = pdfdoc.PDFTrueTypeFont()
            font.__Comment__ = f"Font {self.fontName} subset {number}"
            font.Name = internal_name
            font.BaseFont = base_font_name
            font.FirstChar = 0
            font.LastChar = len(subset) - 1
            font.Widths = _Formatted(widths)
            cmap_stream = pdfdoc.PDFStream(content=cmap)
            cmap_stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
            font.ToUnicode = doc.Reference(cmap_stream, "toUnicodeCMap:" + base_font_name)
            font.FontDescriptor = face.addSubsetObjects(doc, base_font_name, subset)
            doc.Reference(font, internal_name)
            doc.idToObject["BasicFonts"].dict[internal_name] = font
        del self.state[doc]


def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold); parses the TTF files once per process."""
    registered = set(pdfmetrics.getRegisteredFontNames())
    if FONT_REGULAR not in registered:
        pdfmetrics.registerFont(EmbeddedTTFont(FONT_REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
    if FONT_BOLD not in registered:
        pdfmetrics.registerFont(EmbeddedTTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
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
            pdfmetrics.registerFont(EmbeddedTTFont(FONT_CJK, str(path), subfontIndex=0))
            # The face has no bold; bold text in it prints regular rather than failing.
            pdfmetrics.registerFontFamily(
                FONT_CJK, normal=FONT_CJK, bold=FONT_CJK, italic=FONT_CJK, boldItalic=FONT_CJK
            )
    return FONT_CJK


@cache
def _covers_printable_ascii() -> bool:
    return all(code in _covered() for code in range(0x20, 0x7F))


def needs_fallback(text: str) -> bool:
    """Whether ``text`` has a character DejaVu Sans cannot print."""
    # Amounts, dates and most names are printable ASCII: no per-character look-up for them
    # (this runs for every cell of the line table).
    if text.isascii() and text.isprintable() and _covers_printable_ascii():
        return False
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
