"""Electronic addresses: Peppol routes only on its EAS list, XRechnung and CII take EN 16931's."""

from __future__ import annotations

import pytest
from lxml import etree

from billing.renderers import DocumentFormat, EInvoiceIncompleteError, ElectronicAddress, render
from billing.renderers.codes import EAS_CODES, PEPPOL_EAS_CODES
from billing.renderers.endpoints import VAT_EAS_SCHEMES, peppol_endpoint

from .factories import GLN_BUYER, buyer, complete_document, seller

NS = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}


def endpoints(xml: bytes) -> list[tuple[str | None, str | None]]:
    """(schemeID, value) of the seller's and the buyer's EndpointID, in that order."""
    root = etree.fromstring(xml)
    found = root.findall(".//cbc:EndpointID", NS)
    return [(element.get("schemeID"), element.text) for element in found]


class TestCodeLists:
    def test_peppol_list_is_part_of_the_en16931_list_without_email(self) -> None:
        assert PEPPOL_EAS_CODES < EAS_CODES
        assert {"EM", "AN", "AQ", "AS", "AU"} <= EAS_CODES - PEPPOL_EAS_CODES

    def test_every_vat_scheme_is_on_the_peppol_list(self) -> None:
        assert set(VAT_EAS_SCHEMES.values()) <= PEPPOL_EAS_CODES
        assert VAT_EAS_SCHEMES["DE"] == "9930"
        assert VAT_EAS_SCHEMES["EL"] == "9933"


class TestPeppolEndpoint:
    def test_own_peppol_id_wins(self) -> None:
        party = buyer(electronic_address=ElectronicAddress(value=GLN_BUYER, scheme="0088"))
        assert peppol_endpoint(party) == ElectronicAddress(value=GLN_BUYER, scheme="0088")

    def test_email_falls_back_to_the_vat_scheme(self) -> None:
        party = buyer(vat_id="FR40303265045")
        assert party.electronic_address is not None
        assert party.electronic_address.scheme == "EM"
        assert peppol_endpoint(party) == ElectronicAddress(value="FR40303265045", scheme="9957")

    @pytest.mark.parametrize("vat_id", [None, "SE556677889901", "KEP051234567X"])
    def test_no_endpoint_without_a_vat_scheme(self, vat_id: str | None) -> None:
        assert peppol_endpoint(buyer(vat_id=vat_id)) is None


class TestWrittenEndpoints:
    def test_peppol_writes_no_email_scheme(self) -> None:
        # Defect: every Peppol UBL of a party without a Peppol id carried schemeID="EM",
        # which fails PEPPOL-EN16931-CL008.
        document = complete_document()
        written = endpoints(render(document, DocumentFormat.UBL).content)
        assert written == [("9930", "DE123456789"), ("9957", "FR40303265045")]
        assert all(scheme in PEPPOL_EAS_CODES for scheme, _ in written)

    @pytest.mark.parametrize("document_format", [DocumentFormat.XRECHNUNG])
    def test_xrechnung_keeps_the_email_address(self, document_format: DocumentFormat) -> None:
        written = endpoints(render(complete_document(), document_format).content)
        assert written == [("EM", "billing@seller.example"), ("EM", "ap@buyer.example")]

    def test_peppol_refuses_a_buyer_reachable_only_by_email(self) -> None:
        document = complete_document(buyer=buyer(vat_id=None), seller=seller())
        with pytest.raises(EInvoiceIncompleteError) as raised:
            render(document, DocumentFormat.UBL)
        assert [(m.field, m.term, m.rule) for m in raised.value.missing] == [
            ("buyer.electronic_address", "BT-49", "PEPPOL-EN16931-CL008")
        ]
        # The same buyer is fine for XRechnung and CII.
        render(document, DocumentFormat.XRECHNUNG)
        render(document, DocumentFormat.CII)
