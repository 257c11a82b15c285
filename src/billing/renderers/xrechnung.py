"""XRechnung 3.0 (UBL syntax): the German CIUS of EN 16931.

The same UBL writer as Peppol (``ubl.py``) with the XRechnung specification identifier
(BR-DE-21) and one ``cbc:Note`` per note; the BR-DE rules (buyer reference, seller contact,
payment instructions, ...) are enforced before writing by ``completeness``.
"""

from __future__ import annotations

from typing import ClassVar

from billing.renderers.base import DocumentFormat
from billing.renderers.ubl import PEPPOL_PROFILE_ID, UblProfile, UblRenderer

XRECHNUNG_CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"

XRECHNUNG_3 = UblProfile(
    customization_id=XRECHNUNG_CUSTOMIZATION_ID,
    # XRechnung does not define BT-23, but KoSIT merges PEPPOL-EN16931-R001 (ProfileID
    # mandatory) into its schematron, so the Peppol billing process is declared.
    profile_id=PEPPOL_PROFILE_ID,
    single_note=False,
)


class XRechnungRenderer(UblRenderer):
    """UBL 2.1 Invoice / CreditNote conforming to XRechnung 3.0."""

    format: ClassVar[DocumentFormat] = DocumentFormat.XRECHNUNG
    profile: ClassVar[UblProfile] = XRECHNUNG_3
    filename_suffix: ClassVar[str] = "-xrechnung"
    version: ClassVar[int] = 2
