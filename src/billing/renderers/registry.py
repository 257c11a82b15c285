"""The closed registry of renderers, one stateless instance per format."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from billing.renderers.base import DocumentFormat, InvoiceRenderer, RenderedDocument, RenderOptions
from billing.renderers.cii import CiiRenderer
from billing.renderers.model import InvoiceDocument
from billing.renderers.pdf import PdfRenderer
from billing.renderers.ubl import PeppolUblRenderer
from billing.renderers.xrechnung import XRechnungRenderer
from billing.renderers.zugferd import ZugferdRenderer

RENDERERS: Mapping[DocumentFormat, InvoiceRenderer] = MappingProxyType(
    {
        DocumentFormat.PDF: PdfRenderer(),
        DocumentFormat.UBL: PeppolUblRenderer(),
        DocumentFormat.XRECHNUNG: XRechnungRenderer(),
        DocumentFormat.CII: CiiRenderer(),
        DocumentFormat.ZUGFERD: ZugferdRenderer(),
    }
)


def get_renderer(format: DocumentFormat | str) -> InvoiceRenderer:
    """The renderer of a format (aliases accepted: ``facturx`` is ``zugferd``).

    Raises:
        UnknownFormatError: not a known format.
    """
    return RENDERERS[DocumentFormat.parse(format)]


def render(
    document: InvoiceDocument,
    format: DocumentFormat | str,
    options: RenderOptions | None = None,
) -> RenderedDocument:
    """Render ``document`` in ``format``; see ``InvoiceRenderer.render`` for the errors."""
    return get_renderer(format).render(document, options)
