"""PDF inspection helpers for the tests (pikepdf for structure, pypdf for text)."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator

import pikepdf
from pypdf import PdfReader

STANDARD_14 = {
    "Courier",
    "Courier-Bold",
    "Courier-Oblique",
    "Courier-BoldOblique",
    "Helvetica",
    "Helvetica-Bold",
    "Helvetica-Oblique",
    "Helvetica-BoldOblique",
    "Times-Roman",
    "Times-Bold",
    "Times-Italic",
    "Times-BoldItalic",
    "Symbol",
    "ZapfDingbats",
}


def page_texts(content: bytes) -> list[str]:
    """The extracted text of every page."""
    reader = PdfReader(io.BytesIO(content))
    return [page.extract_text() for page in reader.pages]


def _fonts_of(
    resources: pikepdf.Object, seen: set[tuple[int, int]]
) -> Iterator[pikepdf.Dictionary]:
    fonts = resources.get("/Font")
    if isinstance(fonts, pikepdf.Dictionary):
        for font in fonts.values():
            assert isinstance(font, pikepdf.Dictionary)
            yield font
    xobjects = resources.get("/XObject")
    if isinstance(xobjects, pikepdf.Dictionary):
        for xobject in xobjects.values():
            key = xobject.objgen
            if key in seen or xobject.get("/Subtype") != "/Form":
                continue
            seen.add(key)
            inner = xobject.get("/Resources")
            if isinstance(inner, pikepdf.Dictionary):
                yield from _fonts_of(inner, seen)


def all_fonts(content: bytes) -> list[tuple[str, str, bool]]:
    """(BaseFont, Subtype, embedded) of every font on every page and form XObject."""
    found = []
    with pikepdf.open(io.BytesIO(content)) as pdf:
        seen: set[tuple[int, int]] = set()
        for page in pdf.pages:
            resources = page.obj.get("/Resources")
            if not isinstance(resources, pikepdf.Dictionary):
                continue
            for font in _fonts_of(resources, seen):
                subtype = str(font.get("/Subtype"))
                base = str(font.get("/BaseFont", "")).lstrip("/")
                descriptors = [font.get("/FontDescriptor")]
                if subtype == "/Type0":
                    descriptors = [d.get("/FontDescriptor") for d in font.DescendantFonts]
                embedded = subtype == "/Type3" or all(
                    isinstance(d, pikepdf.Dictionary)
                    and any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                    for d in descriptors
                )
                found.append((base, subtype, embedded))
    return found


def media_boxes(content: bytes) -> list[tuple[float, float]]:
    """(width, height) of every page."""
    with pikepdf.open(io.BytesIO(content)) as pdf:
        boxes = []
        for page in pdf.pages:
            x0, y0, x1, y1 = (float(v) for v in page.mediabox)
            boxes.append((round(x1 - x0, 2), round(y1 - y0, 2)))
        return boxes


def qr_matrix_from_page(content: bytes, page_index: int = 0) -> list[list[bool]]:
    """Rebuild the QR module matrix from the filled rectangles drawn on a page.

    The QR code is drawn as one path of module-high rectangles (runs of dark modules); they
    are the only large family of rectangles sharing one height.
    """
    with pikepdf.open(io.BytesIO(content)) as pdf:
        operations = pikepdf.parse_content_stream(pdf.pages[page_index])
        rects = [
            tuple(float(v) for v in instruction.operands)
            for instruction in operations
            if isinstance(instruction, pikepdf.ContentStreamInstruction)
            and str(instruction.operator) == "re"
        ]
    heights = Counter(round(h, 4) for _, _, _, h in rects)
    module, _ = heights.most_common(1)[0]
    runs = [r for r in rects if round(r[3], 4) == module]
    left = min(x for x, _, _, _ in runs)
    top = max(y + h for _, y, _, h in runs)
    cells: set[tuple[int, int]] = set()
    for x, y, w, h in runs:
        row = round((top - (y + h)) / module)
        start = round((x - left) / module)
        for column in range(start, start + round(w / module)):
            cells.add((row, column))
    size = max(max(r for r, _ in cells), max(c for _, c in cells)) + 1
    return [[(r, c) in cells for c in range(size)] for r in range(size)]
