"""The renderer contract: formats, options, the rendered result and the ``InvoiceRenderer`` ABC.

A renderer is a stateless, pure function of an ``InvoiceDocument``: the same document and
options always give the same bytes (PDF creation dates and file identifiers are derived from
the document, never from the clock). Renderers import neither FastAPI nor the ORM and may run
in a worker thread or process; they never touch the network.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from billing.renderers.errors import UnknownFormatError
from billing.renderers.model import InvoiceDocument
from billing.renderers.paper import DEFAULT_PAPER_SIZE, PaperSize, paper_size

if TYPE_CHECKING:
    from billing.renderers.validation import ValidationIssue


class DocumentFormat(StrEnum):
    """The download formats of an invoice."""

    PDF = "pdf"
    UBL = "ubl"  # UBL 2.1, Peppol BIS Billing 3.0
    XRECHNUNG = "xrechnung"  # UBL 2.1, XRechnung 3.0 CIUS
    CII = "cii"  # UN/CEFACT CII D16B, EN 16931
    ZUGFERD = "zugferd"  # ZUGFeRD 2.x / Factur-X 1.0x, EN 16931 profile (PDF/A-3b + CII)

    @classmethod
    def parse(cls, value: str | DocumentFormat) -> DocumentFormat:
        """Parse a format name, case-insensitively; ``facturx``/``factur-x`` mean ``zugferd``.

        Raises:
            UnknownFormatError: not a known format.
        """
        if isinstance(value, DocumentFormat):
            return value
        key = value.strip().lower()
        key = _FORMAT_ALIASES.get(key, key)
        try:
            return cls(key)
        except ValueError:
            raise UnknownFormatError(value, [member.value for member in cls]) from None

    @property
    def is_einvoice(self) -> bool:
        """Every format but the plain PDF is a structured EN 16931 e-invoice."""
        return self is not DocumentFormat.PDF


_FORMAT_ALIASES = {"facturx": "zugferd", "factur-x": "zugferd", "factur_x": "zugferd"}


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """Options of one render. Only the PDF-producing renderers read them.

    ``paper_size`` is resolved on construction, so an unknown name fails before any work
    (``UnknownPaperSizeError``) and the stored name is canonical (``"a4"`` becomes ``"A4"``).
    """

    paper_size: str = DEFAULT_PAPER_SIZE
    landscape: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "paper_size", paper_size(self.paper_size).name)

    @property
    def paper(self) -> PaperSize:
        """The resolved paper size."""
        return paper_size(self.paper_size)

    @property
    def pagesize(self) -> tuple[float, float]:
        """(width, height) in points, in the requested orientation."""
        return self.paper.oriented(landscape=self.landscape)


DEFAULT_OPTIONS = RenderOptions()


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    """The bytes of one rendered document and what the API needs to serve or store them."""

    format: DocumentFormat
    media_type: str
    filename: str
    content: bytes = field(repr=False)
    sha256: str

    @classmethod
    def create(
        cls, *, format: DocumentFormat, media_type: str, filename: str, content: bytes
    ) -> RenderedDocument:
        """Build the result and its SHA-256 (hex) of ``content``."""
        return cls(
            format=format,
            media_type=media_type,
            filename=filename,
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
        )


_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename_stem(number: str) -> str:
    """The invoice number reduced to characters safe in a Content-Disposition filename."""
    stem = _UNSAFE_FILENAME.sub("_", number).strip("._")
    return stem or "invoice"


class InvoiceRenderer(ABC):
    """Turns an ``InvoiceDocument`` into the bytes of one download format.

    Contract:

    * ``render`` is synchronous, pure and deterministic: no clock, no network, no shared
      mutable state; the same input gives the same bytes. Call it from a worker (or
      ``run_in_threadpool``), never on the event loop for large invoices.
    * A renderer of an e-invoice format runs ``completeness.require_complete`` first and raises
      ``EInvoiceIncompleteError`` listing every missing field instead of emitting a file
      that a receiver would reject.
    * ``version`` is stored next to every rendered document; bump it whenever what the
      document says or shows for the same input changes, so stored documents are re-rendered.
      A change that only writes the same pages and data with other bytes (compression, how
      text objects are grouped) keeps the version: a stored file stays the file that was sent.
    """

    format: ClassVar[DocumentFormat]
    media_type: ClassVar[str]
    file_extension: ClassVar[str]
    filename_suffix: ClassVar[str] = ""
    version: ClassVar[int]

    def render(
        self, document: InvoiceDocument, options: RenderOptions | None = None
    ) -> RenderedDocument:
        """Render the document.

        Args:
            document: the invoice snapshot.
            options: paper size and orientation (PDF formats); defaults to A4 portrait.

        Returns:
            The content with its media type, download filename and SHA-256.

        Raises:
            EInvoiceIncompleteError: an e-invoice format lacks required data.
            InvalidEInvoiceError: the generated XML failed its schema (a renderer bug).
        """
        content = self.render_bytes(document, options or DEFAULT_OPTIONS)
        return RenderedDocument.create(
            format=self.format,
            media_type=self.media_type,
            filename=self.filename(document),
            content=content,
        )

    @abstractmethod
    def render_bytes(self, document: InvoiceDocument, options: RenderOptions) -> bytes:
        """Produce the raw bytes; ``render`` wraps them. Same contract as ``render``."""

    def validate(self, rendered: RenderedDocument) -> list[ValidationIssue]:
        """Check rendered output against the official XSD and schematron; empty means valid.

        Plain PDFs have nothing to validate. E-invoice renderers override this; the
        schematron part needs the ``saxonche`` development dependency, so call it from tests,
        CI or a worker, not from a request handler.
        """
        return []

    def filename(self, document: InvoiceDocument) -> str:
        """Download filename built from the invoice number (``INV-2026-00042-ubl.xml``)."""
        stem = safe_filename_stem(document.number)
        return f"{stem}{self.filename_suffix}.{self.file_extension}"


def formats() -> Sequence[DocumentFormat]:
    """All formats, in display order."""
    return tuple(DocumentFormat)
