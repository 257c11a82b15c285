"""UBL 2.1 Invoice / CreditNote writer, parameterised by a CIUS profile.

``UblRenderer`` writes the EN 16931 UBL binding once; a ``UblProfile`` carries what differs
between the specifications built on it (the Peppol BIS Billing 3.0 and XRechnung 3.0
identifiers and their few syntax choices). ``PeppolUblRenderer`` (``ubl``) lives here,
``XRechnungRenderer`` in ``xrechnung.py``.

Element order follows the UBL 2.1 XSD sequences (maindoc ``UBL-Invoice-2.1.xsd`` /
``UBL-CreditNote-2.1.xsd`` and the common aggregate components); receivers reject documents
whose children are out of order even when every value is right.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from lxml import etree

from billing.core.totals import VatCategory
from billing.renderers._xml import Element, amount, child, iso_date, optional, plain, serialize
from billing.renderers.base import DocumentFormat, InvoiceRenderer, RenderedDocument, RenderOptions
from billing.renderers.completeness import require_complete
from billing.renderers.endpoints import peppol_endpoint
from billing.renderers.model import (
    DocumentAllowanceCharge,
    InvoiceDocument,
    InvoiceLine,
    Party,
    PaymentInstructions,
    PostalAddress,
)
from billing.renderers.prices import line_price
from billing.renderers.validation import Syntax, ValidationIssue, validate_xml

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

PEPPOL_CUSTOMIZATION_ID = (
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
)
PEPPOL_PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


@dataclass(frozen=True, slots=True)
class UblProfile:
    """The CIUS-specific choices of a UBL e-invoice.

    Attributes:
        customization_id: BT-24 specification identifier.
        profile_id: BT-23 business process (Peppol R001; XRechnung merges that rule in).
        single_note: join all BT-22 notes into one ``cbc:Note`` (PEPPOL-EN16931-R002
            allows one note unless seller and buyer are German).
        peppol_endpoints: write endpoints Peppol routes on (``endpoints.peppol_endpoint``,
            PEPPOL-EN16931-CL008) instead of the parties' own electronic addresses.
    """

    customization_id: str
    profile_id: str
    single_note: bool
    peppol_endpoints: bool = False


PEPPOL_BIS_3 = UblProfile(
    customization_id=PEPPOL_CUSTOMIZATION_ID,
    profile_id=PEPPOL_PROFILE_ID,
    single_note=True,
    peppol_endpoints=True,
)


def _cac(name: str) -> str:
    return f"{{{CAC_NS}}}{name}"


def _cbc(name: str) -> str:
    return f"{{{CBC_NS}}}{name}"


def build_ubl(document: InvoiceDocument, profile: UblProfile) -> bytes:
    """Serialize ``document`` as a UBL 2.1 Invoice, or CreditNote for type code 381."""
    return serialize(_UblWriter(document, profile).build())


class _UblWriter:
    def __init__(self, document: InvoiceDocument, profile: UblProfile) -> None:
        self.doc = document
        self.profile = profile
        self.currency = document.currency
        self.credit = document.type_code.is_credit_note
        # BR-O-02: an invoice not subject to VAT carries no VAT identifiers.
        self.write_vat_ids = not document.is_outside_scope

    def money(self, parent: Element, name: str, value: Decimal) -> Element:
        return child(
            parent, _cbc(name), amount(value, self.currency), {"currencyID": self.currency}
        )

    def build(self) -> Element:
        doc, cbc = self.doc, _cbc
        root_ns = CREDIT_NOTE_NS if self.credit else INVOICE_NS
        root = etree.Element(
            f"{{{root_ns}}}{'CreditNote' if self.credit else 'Invoice'}",
            nsmap={None: root_ns, "cac": CAC_NS, "cbc": CBC_NS},
        )
        child(root, cbc("CustomizationID"), self.profile.customization_id)
        child(root, cbc("ProfileID"), self.profile.profile_id)
        child(root, cbc("ID"), doc.number)
        child(root, cbc("IssueDate"), iso_date(doc.issue_date))
        if not self.credit and doc.due_date:
            child(root, cbc("DueDate"), iso_date(doc.due_date))
        child(root, cbc("CreditNoteTypeCode" if self.credit else "InvoiceTypeCode"), doc.type_code)
        if doc.notes:
            notes = ["\n".join(doc.notes)] if self.profile.single_note else list(doc.notes)
            for note in notes:
                child(root, cbc("Note"), note)
        child(root, cbc("DocumentCurrencyCode"), self.currency)
        optional(root, cbc("BuyerReference"), doc.buyer_reference)
        if doc.invoicing_period:
            period = child(root, _cac("InvoicePeriod"))
            if doc.invoicing_period.start:
                child(period, cbc("StartDate"), iso_date(doc.invoicing_period.start))
            if doc.invoicing_period.end:
                child(period, cbc("EndDate"), iso_date(doc.invoicing_period.end))
        if doc.purchase_order_reference:
            order = child(root, _cac("OrderReference"))
            child(order, cbc("ID"), doc.purchase_order_reference)
        for preceding in doc.preceding_invoices:
            reference = child(
                child(root, _cac("BillingReference")), _cac("InvoiceDocumentReference")
            )
            child(reference, cbc("ID"), preceding.number)
            if preceding.issue_date:
                child(reference, cbc("IssueDate"), iso_date(preceding.issue_date))
        self.party(child(root, _cac("AccountingSupplierParty")), doc.seller, seller=True)
        self.party(child(root, _cac("AccountingCustomerParty")), doc.buyer, seller=False)
        self.delivery(root)
        if doc.payment:
            self.payment_means(root, doc.payment)
        if doc.payment_terms:
            child(child(root, _cac("PaymentTerms")), cbc("Note"), doc.payment_terms)
        for entry in (*doc.allowances, *doc.charges):
            self.allowance_charge(root, entry)
        self.tax_total(root)
        self.monetary_total(root)
        for line in doc.lines:
            self.line(root, line)
        return root

    def party(self, parent: Element, party: Party, *, seller: bool) -> None:
        cbc = _cbc
        node = child(parent, _cac("Party"))
        endpoint = (
            peppol_endpoint(party) if self.profile.peppol_endpoints else party.electronic_address
        )
        if endpoint:
            child(node, cbc("EndpointID"), endpoint.value, {"schemeID": endpoint.scheme})
        payment = self.doc.payment
        if seller and payment and payment.is_direct_debit and payment.creditor_reference:
            # BT-90 (bank assigned creditor identifier) is a seller identification, scheme SEPA.
            identification = child(node, _cac("PartyIdentification"))
            child(identification, cbc("ID"), payment.creditor_reference, {"schemeID": "SEPA"})
        if party.trading_name:
            child(child(node, _cac("PartyName")), cbc("Name"), party.trading_name)
        self.address(child(node, _cac("PostalAddress")), party.address)
        if self.write_vat_ids and party.vat_id:
            self.tax_scheme(node, party.vat_id, "VAT")
        if seller and party.tax_registration_id:
            # BT-32: any tax scheme other than VAT; "FC" (fiscal code) as in the XRechnung samples.
            self.tax_scheme(node, party.tax_registration_id, "FC")
        legal = child(node, _cac("PartyLegalEntity"))
        optional(legal, cbc("RegistrationName"), party.name)
        if party.legal_registration_id:
            attrib = (
                {"schemeID": party.legal_registration_scheme}
                if party.legal_registration_scheme
                else None
            )
            child(legal, cbc("CompanyID"), party.legal_registration_id, attrib)
        contact = party.contact
        if contact and (contact.name or contact.phone or contact.email):
            node_contact = child(node, _cac("Contact"))
            optional(node_contact, cbc("Name"), contact.name)
            optional(node_contact, cbc("Telephone"), contact.phone)
            optional(node_contact, cbc("ElectronicMail"), contact.email)

    def tax_scheme(self, party: Element, company_id: str, scheme: str) -> None:
        node = child(party, _cac("PartyTaxScheme"))
        child(node, _cbc("CompanyID"), company_id)
        child(child(node, _cac("TaxScheme")), _cbc("ID"), scheme)

    def address(self, node: Element, address: PostalAddress) -> None:
        cbc = _cbc
        optional(node, cbc("StreetName"), address.line1)
        optional(node, cbc("AdditionalStreetName"), address.line2)
        optional(node, cbc("CityName"), address.city)
        optional(node, cbc("PostalZone"), address.postal_code)
        optional(node, cbc("CountrySubentity"), address.subdivision)
        if address.line3:
            child(child(node, _cac("AddressLine")), cbc("Line"), address.line3)
        if address.country_code:
            child(child(node, _cac("Country")), cbc("IdentificationCode"), address.country_code)

    def delivery(self, root: Element) -> None:
        delivery = self.doc.delivery
        if delivery is None or not (delivery.date or delivery.address or delivery.party_name):
            return
        node = child(root, _cac("Delivery"))
        if delivery.date:
            child(node, _cbc("ActualDeliveryDate"), iso_date(delivery.date))
        if delivery.address:
            location = child(node, _cac("DeliveryLocation"))
            self.address(child(location, _cac("Address")), delivery.address)
        if delivery.party_name:
            party = child(child(node, _cac("DeliveryParty")), _cac("PartyName"))
            child(party, _cbc("Name"), delivery.party_name)

    def payment_means(self, root: Element, payment: PaymentInstructions) -> None:
        cbc = _cbc
        node = child(root, _cac("PaymentMeans"))
        child(
            node,
            cbc("PaymentMeansCode"),
            payment.means_code,
            {"name": payment.means_text} if payment.means_text else None,
        )
        if self.credit and self.doc.due_date:
            # CreditNote has no header DueDate; BT-9 binds to PaymentMeans/PaymentDueDate.
            child(node, cbc("PaymentDueDate"), iso_date(self.doc.due_date))
        optional(node, cbc("PaymentID"), payment.remittance_information)
        if payment.is_card:
            if payment.card_number:
                card = child(node, _cac("CardAccount"))
                child(card, cbc("PrimaryAccountNumberID"), payment.card_number)
                child(card, cbc("NetworkID"), payment.card_network or "NA")
                optional(card, cbc("HolderName"), payment.card_holder)
        elif payment.is_direct_debit:
            mandate = child(node, _cac("PaymentMandate"))
            optional(mandate, cbc("ID"), payment.mandate_reference)
            if payment.debited_account:
                account = child(mandate, _cac("PayerFinancialAccount"))
                child(account, cbc("ID"), payment.debited_account)
        elif payment.iban:
            account = child(node, _cac("PayeeFinancialAccount"))
            child(account, cbc("ID"), payment.iban.replace(" ", ""))
            optional(account, cbc("Name"), payment.account_name)
            if payment.bic:
                branch = child(account, _cac("FinancialInstitutionBranch"))
                child(branch, cbc("ID"), payment.bic)

    def tax_category(
        self, parent: Element, tag: str, category: VatCategory, rate: Decimal, *, with_rate: bool
    ) -> Element:
        node = child(parent, _cac(tag))
        child(node, _cbc("ID"), category.value)
        if with_rate:
            child(node, _cbc("Percent"), plain(rate))
        return node

    def allowance_charge(self, root: Element, entry: DocumentAllowanceCharge) -> None:
        cbc = _cbc
        node = child(root, _cac("AllowanceCharge"))
        child(node, cbc("ChargeIndicator"), "true" if entry.is_charge else "false")
        optional(node, cbc("AllowanceChargeReasonCode"), entry.reason_code)
        optional(node, cbc("AllowanceChargeReason"), entry.reason)
        self.money(node, "Amount", entry.amount)
        # BR-O-06 / BR-O-07: no rate on allowances and charges not subject to VAT.
        category = self.tax_category(
            node,
            "TaxCategory",
            entry.vat_category,
            entry.vat_rate,
            with_rate=entry.vat_category is not VatCategory.OUTSIDE_SCOPE,
        )
        child(child(category, _cac("TaxScheme")), cbc("ID"), "VAT")

    def tax_total(self, root: Element) -> None:
        cbc = _cbc
        total = child(root, _cac("TaxTotal"))
        self.money(total, "TaxAmount", self.doc.totals.tax_total)
        for group in self.doc.vat_breakdown:
            subtotal = child(total, _cac("TaxSubtotal"))
            self.money(subtotal, "TaxableAmount", group.taxable_amount)
            self.money(subtotal, "TaxAmount", group.tax_amount)
            # BT-119 is written for every group, O included (XRechnung BR-DE-14 requires it).
            category = self.tax_category(
                subtotal, "TaxCategory", group.vat_category, group.vat_rate, with_rate=True
            )
            optional(category, cbc("TaxExemptionReasonCode"), group.exemption_reason_code)
            optional(category, cbc("TaxExemptionReason"), group.exemption_reason)
            child(child(category, _cac("TaxScheme")), cbc("ID"), "VAT")

    def monetary_total(self, root: Element) -> None:
        totals = self.doc.totals
        node = child(root, _cac("LegalMonetaryTotal"))
        self.money(node, "LineExtensionAmount", totals.line_total)
        self.money(node, "TaxExclusiveAmount", totals.tax_exclusive)
        self.money(node, "TaxInclusiveAmount", totals.tax_inclusive)
        if self.doc.allowances:
            self.money(node, "AllowanceTotalAmount", totals.allowance_total)
        if self.doc.charges:
            self.money(node, "ChargeTotalAmount", totals.charge_total)
        if totals.prepaid:
            self.money(node, "PrepaidAmount", totals.prepaid)
        if totals.rounding:
            self.money(node, "PayableRoundingAmount", totals.rounding)
        self.money(node, "PayableAmount", totals.payable)

    def line(self, root: Element, line: InvoiceLine) -> None:
        cbc = _cbc
        node = child(root, _cac("CreditNoteLine" if self.credit else "InvoiceLine"))
        child(node, cbc("ID"), line.id)
        optional(node, cbc("Note"), line.note)
        child(
            node,
            cbc("CreditedQuantity" if self.credit else "InvoicedQuantity"),
            plain(line.quantity),
            {"unitCode": line.unit_code},
        )
        self.money(node, "LineExtensionAmount", line.net_amount)
        if line.period:
            period = child(node, _cac("InvoicePeriod"))
            if line.period.start:
                child(period, cbc("StartDate"), iso_date(line.period.start))
            if line.period.end:
                child(period, cbc("EndDate"), iso_date(line.period.end))
        item = child(node, _cac("Item"))
        optional(item, cbc("Description"), line.description)
        optional(item, cbc("Name"), line.name)
        if line.seller_item_id:
            child(child(item, _cac("SellersItemIdentification")), cbc("ID"), line.seller_item_id)
        category = self.tax_category(
            item,
            "ClassifiedTaxCategory",
            line.vat_category,
            line.vat_rate,
            # BR-O-05: a line not subject to VAT carries no rate.
            with_rate=line.vat_category is not VatCategory.OUTSIDE_SCOPE,
        )
        child(child(category, _cac("TaxScheme")), cbc("ID"), "VAT")
        price = child(node, _cac("Price"))
        stated = line_price(line)
        child(price, cbc("PriceAmount"), plain(stated.amount), {"currencyID": self.currency})
        if stated.base_quantity is not None:
            child(
                price,
                cbc("BaseQuantity"),
                plain(stated.base_quantity),
                {"unitCode": line.unit_code},
            )


class UblRenderer(InvoiceRenderer):
    """UBL 2.1 e-invoice under one CIUS profile; subclasses fix the format and profile."""

    profile: ClassVar[UblProfile]
    media_type: ClassVar[str] = "application/xml"
    file_extension: ClassVar[str] = "xml"

    def render_bytes(self, document: InvoiceDocument, options: RenderOptions) -> bytes:
        """Check completeness for this format, then write the XML.

        Raises:
            EInvoiceIncompleteError: the document misses data this profile requires.
        """
        require_complete(document, self.format)
        return build_ubl(document, self.profile)

    def validate(self, rendered: RenderedDocument) -> list[ValidationIssue]:
        """UBL 2.1 XSD and the CEN EN 16931 UBL schematron."""
        return validate_xml(rendered.content, Syntax.UBL)


class PeppolUblRenderer(UblRenderer):
    """UBL 2.1 Invoice / CreditNote conforming to Peppol BIS Billing 3.0."""

    format: ClassVar[DocumentFormat] = DocumentFormat.UBL
    profile: ClassVar[UblProfile] = PEPPOL_BIS_3
    filename_suffix: ClassVar[str] = "-ubl"
    version: ClassVar[int] = 2
