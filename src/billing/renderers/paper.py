"""Named paper sizes for the PDF renderer (the ``?paper=`` download parameter).

Sizes are in PostScript points (1/72 inch), portrait (width <= height) except ``Ledger``,
which is the landscape form of ``Tabloid`` by definition. ISO 216 (A, B), ISO 269 (C),
JIS P 0138 (JIS B) and the North American sizes are covered.
"""

from __future__ import annotations

from dataclasses import dataclass

from billing.renderers.errors import UnknownPaperSizeError

_MM = 72 / 25.4
_INCH = 72.0


@dataclass(frozen=True, slots=True)
class PaperSize:
    """A named page size in points."""

    name: str
    width: float
    height: float

    def oriented(self, *, landscape: bool) -> tuple[float, float]:
        """The (width, height) tuple, rotated to landscape when asked."""
        short, long = sorted((self.width, self.height))
        if landscape:
            return (long, short)
        if self.width > self.height:
            return (self.width, self.height)
        return (short, long)


def _mm(name: str, width: float, height: float) -> PaperSize:
    return PaperSize(name, round(width * _MM, 2), round(height * _MM, 2))


def _inch(name: str, width: float, height: float) -> PaperSize:
    return PaperSize(name, width * _INCH, height * _INCH)


_SIZES: tuple[PaperSize, ...] = (
    _mm("A3", 297, 420),
    _mm("A4", 210, 297),
    _mm("A5", 148, 210),
    _mm("A6", 105, 148),
    _mm("B4", 250, 353),
    _mm("B5", 176, 250),
    _mm("B6", 125, 176),
    _mm("C4", 229, 324),
    _mm("C5", 162, 229),
    _mm("JIS-B4", 257, 364),
    _mm("JIS-B5", 182, 257),
    _inch("Letter", 8.5, 11),
    _inch("Legal", 8.5, 14),
    _inch("Tabloid", 11, 17),
    _inch("Ledger", 17, 11),
    _inch("Executive", 7.25, 10.5),
    _inch("Statement", 5.5, 8.5),
    _inch("Folio", 8.5, 13),
    _inch("Government-Letter", 8, 10.5),
)

PAPER_SIZES: dict[str, PaperSize] = {size.name: size for size in _SIZES}
DEFAULT_PAPER_SIZE = "A4"

# Accepted spellings besides the canonical names (matching ignores case, spaces and "_").
_ALIASES = {
    "usletter": "Letter",
    "uslegal": "Legal",
    "halfletter": "Statement",
    "11x17": "Tabloid",
    "jisb4": "JIS-B4",
    "jisb5": "JIS-B5",
    "governmentletter": "Government-Letter",
}
_LOOKUP = {name.lower().replace("-", ""): name for name in PAPER_SIZES} | _ALIASES


def paper_size_names() -> tuple[str, ...]:
    """The canonical names, in display order (what the API lists as allowed values)."""
    return tuple(PAPER_SIZES)


def paper_size(name: str) -> PaperSize:
    """Resolve a paper size by name, ignoring case, spaces, ``-`` and ``_``.

    Raises:
        UnknownPaperSizeError: the name is not a known size.
    """
    key = name.strip().lower().replace(" ", "").replace("_", "").replace("-", "")
    canonical = _LOOKUP.get(key)
    if canonical is None:
        raise UnknownPaperSizeError(name, paper_size_names())
    return PAPER_SIZES[canonical]
