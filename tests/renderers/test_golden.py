"""Golden files: the XML of a fixed invoice matrix, byte for byte, in every e-invoice format.

Each case of ``golden_matrix.GOLDEN_CASES`` is rendered as Peppol UBL, XRechnung, CII and the
CII embedded in Factur-X, and compared with ``golden/<case>.<format>.xml``. Every committed
golden file passes the official XSD and EN 16931 schematron.

A change of output is deliberate or a bug. To accept one, regenerate the files and review
their diff before committing::

    make golden          # or: BILLING_UPDATE_GOLDEN=1 pytest tests/renderers/test_golden.py
"""

from __future__ import annotations

import difflib
import os
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from billing.renderers import DocumentFormat, render
from billing.renderers.validation import Syntax
from billing.renderers.zugferd import embedded_xml

from .conftest import ValidateFn
from .golden_matrix import API_GOLDEN_CASES, GOLDEN_CASES

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE = os.environ.get("BILLING_UPDATE_GOLDEN") == "1"

# Golden name -> (renderer format, syntax of the XML).
FORMATS: dict[str, tuple[DocumentFormat, Syntax]] = {
    "ubl": (DocumentFormat.UBL, Syntax.UBL),
    "xrechnung": (DocumentFormat.XRECHNUNG, Syntax.UBL),
    "cii": (DocumentFormat.CII, Syntax.CII),
    "facturx": (DocumentFormat.ZUGFERD, Syntax.CII),
}
PAIRS = [(case, name) for case in GOLDEN_CASES for name in FORMATS]


@cache
def rendered_xml(case: str, name: str) -> bytes:
    document_format, _ = FORMATS[name]
    content = render(GOLDEN_CASES[case](), document_format).content
    return embedded_xml(content) if document_format is DocumentFormat.ZUGFERD else content


def golden_path(case: str, name: str) -> Path:
    return GOLDEN_DIR / f"{case}.{name}.xml"


def readable_diff(expected: bytes, actual: bytes, limit: int = 80) -> str:
    """A unified diff of both documents pretty-printed (the files themselves are compact)."""

    def pretty(content: bytes) -> list[str]:
        root = etree.fromstring(content)
        return etree.tostring(root, pretty_print=True, encoding="unicode").splitlines()

    lines = list(difflib.unified_diff(pretty(expected), pretty(actual), "golden", "rendered"))
    shown = "\n".join(lines[:limit])
    more = f"\n... {len(lines) - limit} more diff lines" if len(lines) > limit else ""
    return shown + more


@pytest.mark.parametrize(("case", "name"), PAIRS)
def test_rendered_xml_equals_golden_file(case: str, name: str) -> None:
    actual = rendered_xml(case, name)
    path = golden_path(case, name)
    if UPDATE:
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_bytes(actual)
    assert path.exists(), f"{path.name} is missing; regenerate with BILLING_UPDATE_GOLDEN=1"
    expected = path.read_bytes()
    if actual != expected:
        pytest.fail(
            f"{path.name} differs from the rendered XML:\n{readable_diff(expected, actual)}"
        )


@pytest.mark.parametrize(("case", "name"), PAIRS)
def test_golden_file_is_valid(case: str, name: str, schematron: ValidateFn) -> None:
    path = golden_path(case, name)
    assert schematron(path.read_bytes(), FORMATS[name][1]) == []


def test_facturx_embeds_exactly_the_cii() -> None:
    for case in (*GOLDEN_CASES, *API_GOLDEN_CASES):
        assert golden_path(case, "facturx").read_bytes() == golden_path(case, "cii").read_bytes()


def test_no_stale_golden_files() -> None:
    expected = {golden_path(case, name).name for case, name in PAIRS}
    expected |= {golden_path(case, name).name for case in API_GOLDEN_CASES for name in FORMATS}
    assert {path.name for path in GOLDEN_DIR.glob("*.xml")} == expected
