"""Every XML output of the invoice matrix passes the official XSD and EN 16931 schematron."""

from __future__ import annotations

import io

import pikepdf
import pytest

from billing.renderers import DocumentFormat
from billing.renderers.validation import Syntax

from .conftest import RenderFn, ValidateFn
from .factories import MATRIX

CASES = sorted(MATRIX)


def embedded_xml(pdf_bytes: bytes) -> bytes:
    """The ``factur-x.xml`` attachment of a Factur-X PDF."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        names = pdf.Root.Names.EmbeddedFiles.Names
        assert str(names[0]) == "factur-x.xml"
        return bytes(names[1].EF.F.read_bytes())


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize(
    ("document_format", "syntax"),
    [
        (DocumentFormat.UBL, Syntax.UBL),
        (DocumentFormat.XRECHNUNG, Syntax.UBL),
        (DocumentFormat.CII, Syntax.CII),
    ],
)
def test_xml_is_valid(
    case: str,
    document_format: DocumentFormat,
    syntax: Syntax,
    rendered: RenderFn,
    schematron: ValidateFn,
) -> None:
    issues = schematron(rendered(case, document_format).content, syntax)
    assert issues == []


@pytest.mark.parametrize("case", CASES)
def test_facturx_embedded_xml_is_valid(
    case: str, rendered: RenderFn, schematron: ValidateFn
) -> None:
    pdf = rendered(case, DocumentFormat.ZUGFERD).content
    xml = embedded_xml(pdf)
    assert xml == rendered(case, DocumentFormat.CII).content
    assert schematron(xml, Syntax.CII) == []
