"""Formats, registry, paper sizes and the rendered-document envelope."""

from __future__ import annotations

import hashlib

import pytest

from billing.renderers import (
    PAPER_SIZES,
    RENDERERS,
    DocumentFormat,
    InvoiceRenderer,
    RenderOptions,
    UnknownFormatError,
    UnknownPaperSizeError,
    get_renderer,
    paper_size,
    paper_size_names,
)

from .conftest import RenderFn, ValidateFn


class TestFormats:
    def test_registry_is_closed_and_complete(self) -> None:
        assert set(RENDERERS) == set(DocumentFormat)
        for document_format, renderer in RENDERERS.items():
            assert isinstance(renderer, InvoiceRenderer)
            assert renderer.format is document_format
            assert isinstance(renderer.version, int)
            assert renderer.version >= 1

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("pdf", DocumentFormat.PDF),
            ("UBL", DocumentFormat.UBL),
            (" xrechnung ", DocumentFormat.XRECHNUNG),
            ("cii", DocumentFormat.CII),
            ("zugferd", DocumentFormat.ZUGFERD),
            ("facturx", DocumentFormat.ZUGFERD),
            ("Factur-X", DocumentFormat.ZUGFERD),
        ],
    )
    def test_parse(self, value: str, expected: DocumentFormat) -> None:
        assert DocumentFormat.parse(value) is expected
        assert get_renderer(value) is RENDERERS[expected]

    def test_unknown_format(self) -> None:
        with pytest.raises(UnknownFormatError) as raised:
            DocumentFormat.parse("docx")
        assert raised.value.code == "unknown_document_format"
        assert "zugferd" in raised.value.allowed

    @pytest.mark.parametrize(
        ("document_format", "media_type", "filename"),
        [
            (DocumentFormat.PDF, "application/pdf", "INV-2026-00042.pdf"),
            (DocumentFormat.UBL, "application/xml", "INV-2026-00042-ubl.xml"),
            (DocumentFormat.XRECHNUNG, "application/xml", "INV-2026-00042-xrechnung.xml"),
            (DocumentFormat.CII, "application/xml", "INV-2026-00042-cii.xml"),
            (DocumentFormat.ZUGFERD, "application/pdf", "INV-2026-00042-facturx.pdf"),
        ],
    )
    def test_rendered_document(
        self, document_format: DocumentFormat, media_type: str, filename: str, rendered: RenderFn
    ) -> None:
        result = rendered("single_rate", document_format)
        assert result.format is document_format
        assert result.media_type == media_type
        assert result.filename == filename
        assert result.sha256 == hashlib.sha256(result.content).hexdigest()

    def test_filename_is_sanitised(self) -> None:
        from .factories import complete_document

        document = complete_document(number="INV/2026 04:21")
        assert RENDERERS[DocumentFormat.UBL].filename(document) == "INV_2026_04_21-ubl.xml"


class TestPaperSizes:
    def test_at_least_seventeen_named_sizes(self) -> None:
        names = paper_size_names()
        assert len(names) >= 17
        for required in (
            "A3",
            "A4",
            "A5",
            "A6",
            "B4",
            "B5",
            "Letter",
            "Legal",
            "Tabloid",
            "Ledger",
            "Executive",
        ):
            assert required in names
        assert names == tuple(PAPER_SIZES)

    @pytest.mark.parametrize(
        ("alias", "name"),
        [
            ("a4", "A4"),
            ("LETTER", "Letter"),
            ("us_letter", "Letter"),
            ("jis b5", "JIS-B5"),
            ("half-letter", "Statement"),
        ],
    )
    def test_aliases(self, alias: str, name: str) -> None:
        assert paper_size(alias).name == name
        assert RenderOptions(paper_size=alias).paper_size == name

    def test_unknown(self) -> None:
        with pytest.raises(UnknownPaperSizeError, match="A4"):
            paper_size("A10")

    def test_orientation(self) -> None:
        a4 = paper_size("A4")
        assert a4.oriented(landscape=False) == (a4.width, a4.height)
        assert a4.oriented(landscape=True) == (a4.height, a4.width)
        ledger = paper_size("Ledger")
        assert ledger.width > ledger.height


@pytest.mark.parametrize("document_format", list(DocumentFormat))
def test_renderer_validate(
    document_format: DocumentFormat, rendered: RenderFn, schematron: ValidateFn
) -> None:
    renderer = RENDERERS[document_format]
    assert renderer.validate(rendered("mixed_rates_discount_charge", document_format)) == []
