"""Electronic addresses (BT-34 seller, BT-49 buyer) that each e-invoice network accepts.

Two code lists govern the scheme of an electronic address, and they differ:

* EN 16931 (BR-CL-25, CEN schematron 1.3.15) accepts the whole CEF EAS list, e-mail (``EM``)
  included. XRechnung and CII use this list, so an e-mail address is a valid endpoint there.
* Peppol BIS Billing 3.0.19 (PEPPOL-EN16931-CL008, fatal) accepts only the schemes Peppol
  routes on: no ``EM``, ``AN``, ``AQ``, ``AS`` or ``AU``, and none of the retired ones.

A Peppol invoice therefore takes the party's own electronic address when its scheme is on the
Peppol list; otherwise, where the party has a VAT identifier, the national VAT scheme of its
country (``9930`` for ``DE123456789``); otherwise there is no Peppol endpoint and the
completeness check refuses the document, naming BT-34 or BT-49.
"""

from __future__ import annotations

from billing.renderers.codes import PEPPOL_EAS_CODES
from billing.renderers.model import ElectronicAddress, Party

# VAT identifier prefix -> the EAS scheme whose identifiers are that country's VAT numbers,
# written with their prefix (``9930:DE123456789``). Only schemes on the Peppol list appear;
# countries without one (Sweden and Norway use organisation numbers, 0007 and 0192) need the
# party's Peppol participant id. Greek VAT numbers start with EL.
VAT_EAS_SCHEMES: dict[str, str] = {
    "AD": "9922",
    "AL": "9923",
    "AT": "9914",
    "BA": "9924",
    "BE": "9925",
    "BG": "9926",
    "CH": "9927",
    "CY": "9928",
    "CZ": "9929",
    "DE": "9930",
    "EE": "9931",
    "EL": "9933",
    "ES": "9920",
    "FR": "9957",
    "GB": "9932",
    "HR": "9934",
    "HU": "9910",
    "IE": "9935",
    "IT": "0211",
    "LI": "9936",
    "LT": "9937",
    "LU": "9938",
    "LV": "9939",
    "MC": "9940",
    "ME": "9941",
    "MK": "9942",
    "MT": "9943",
    "NL": "9944",
    "PL": "9945",
    "PT": "9946",
    "RO": "9947",
    "RS": "9948",
    "SI": "9949",
    "SK": "9950",
    "SM": "9951",
    "TR": "9952",
    "VA": "9953",
}


def vat_endpoint(vat_id: str | None) -> ElectronicAddress | None:
    """The Peppol endpoint a VAT identifier stands for, if its country has a VAT scheme."""
    if not vat_id:
        return None
    scheme = VAT_EAS_SCHEMES.get(vat_id[:2])
    if scheme is None:
        return None
    return ElectronicAddress(value=vat_id, scheme=scheme)


def peppol_endpoint(party: Party) -> ElectronicAddress | None:
    """The endpoint a Peppol invoice writes for ``party``, or None when it has none.

    The party's own address wins when Peppol routes on its scheme; an e-mail address
    (``EM``) or another scheme outside the Peppol list falls back to the VAT scheme.
    """
    address = party.electronic_address
    if address is not None and address.scheme in PEPPOL_EAS_CODES:
        return address
    return vat_endpoint(party.vat_id)
