"""Renderer test fixtures: documents built once, renders cached, schematron compiled once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from billing.renderers import DocumentFormat, InvoiceDocument, RenderedDocument, render
from billing.renderers.validation import Syntax, ValidationIssue, validate_xml, warm_up

from .factories import MATRIX

RenderFn = Callable[[str, DocumentFormat], RenderedDocument]
ValidateFn = Callable[[bytes, Syntax], list[ValidationIssue]]


@pytest.fixture(scope="session")
def documents() -> dict[str, InvoiceDocument]:
    """Every matrix invoice, built once per session."""
    return {name: factory() for name, factory in MATRIX.items()}


@pytest.fixture(scope="session")
def rendered(documents: dict[str, InvoiceDocument]) -> RenderFn:
    """Render a matrix invoice in a format, once per session."""
    cache: dict[tuple[str, DocumentFormat], RenderedDocument] = {}

    def get(name: str, document_format: DocumentFormat) -> RenderedDocument:
        key = (name, document_format)
        if key not in cache:
            cache[key] = render(documents[name], document_format)
        return cache[key]

    return get


@pytest.fixture(scope="session")
def schematron() -> ValidateFn:
    """XSD + EN 16931 schematron; the stylesheets are compiled once for the session."""
    pytest.importorskip("saxonche")
    warm_up()

    def check(xml: bytes, syntax: Syntax) -> list[ValidationIssue]:
        return validate_xml(xml, syntax)

    return check
