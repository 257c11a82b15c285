"""UN/CEFACT Cross Industry Invoice (CII D16B) writer, EN 16931 guideline.

The same XML is the standalone ``cii`` download and the ``factur-x.xml`` embedded by
``zugferd.py``. Element order follows the Factur-X 1.0x EN 16931 schema (a subset of the
D16B schema with the same sequences). Amounts carry no ``currencyID`` except BT-110
``TaxTotalAmount``, which must carry it (CII-DT-031; BR-CO-15 fails without it).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import ClassVar

from lxml import etree

from billing.core.totals import VatCategory
from billing.renderers._xml import Element, amount, child, cii_date, optional, plain, serialize
from billing.renderers.base import DocumentFormat, InvoiceRenderer, RenderedDocument, RenderOptions
from billing.renderers.completeness import require_complete
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

RSM_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM_NS = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT_NS = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT_NS = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"

EN16931_GUIDELINE_ID = "urn:cen.eu:en16931:2017"

_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def _ram(name: str) -> str:
    return f"{{{RAM_NS}}}{name}"


def _rsm(name: str) -> str:
    return f"{{{RSM_NS}}}{name}"


def build_cii(document: InvoiceDocument, *, guideline_id: str = EN16931_GUIDELINE_ID) -> bytes:
    """Serialize ``document`` as a CII D16B ``CrossIndustryInvoice``."""
    return serialize(_CiiWriter(document, guideline_id).build())


class _CiiWriter:
    def __init__(self, document: InvoiceDocument, guideline_id: str) -> None:
        self.doc = document
        self.guideline_id = guideline_id
        self.currency = document.currency
        # BR-O-02: an invoice not subject to VAT carries no VAT identifiers.
        self.write_vat_ids = not document.is_outside_scope

    def money(self, parent: Element, name: str, value: Decimal) -> Element:
        return child(parent, _ram(name), amount(value, self.currency))

    def date(self, parent: Element, name: str, value: dt.date, *, qualified: bool = False) -> None:
        namespace = QDT_NS if qualified else UDT_NS
        node = child(parent, _ram(name))
        child(node, f"{{{namespace}}}DateTimeString", cii_date(value), {"format": "102"})

    def build(self) -> Element:
        doc, ram = self.doc, _ram
        root = etree.Element(
            _rsm("CrossIndustryInvoice"),
            nsmap={"rsm": RSM_NS, "ram": RAM_NS, "qdt": QDT_NS, "udt": UDT_NS},
        )
        context = child(root, _rsm("ExchangedDocumentContext"))
        guideline = child(context, ram("GuidelineSpecifiedDocumentContextParameter"))
        child(guideline, ram("ID"), self.guideline_id)

        header = child(root, _rsm("ExchangedDocument"))
        child(header, ram("ID"), doc.number)
        child(header, ram("TypeCode"), doc.type_code.value)
        self.date(header, "IssueDateTime", doc.issue_date)
        for note in doc.notes:
            child(child(header, ram("IncludedNote")), ram("Content"), note)

        transaction = child(root, _rsm("SupplyChainTradeTransaction"))
        for line in doc.lines:
            self.line(transaction, line)
        self.agreement(child(transaction, ram("ApplicableHeaderTradeAgreement")))
        self.delivery(child(transaction, ram("ApplicableHeaderTradeDelivery")))
        self.settlement(child(transaction, ram("ApplicableHeaderTradeSettlement")))
        return root

    def line(self, parent: Element, line: InvoiceLine) -> None:
        ram = _ram
        node = child(parent, ram("IncludedSupplyChainTradeLineItem"))
        document_line = child(node, ram("AssociatedDocumentLineDocument"))
        child(document_line, ram("LineID"), line.id)
        if line.note:
            child(child(document_line, ram("IncludedNote")), ram("Content"), line.note)
        product = child(node, ram("SpecifiedTradeProduct"))
        optional(product, ram("SellerAssignedID"), line.seller_item_id)
        child(product, ram("Name"), line.name or "")
        optional(product, ram("Description"), line.description)
        agreement = child(node, ram("SpecifiedLineTradeAgreement"))
        price = child(agreement, ram("NetPriceProductTradePrice"))
        stated = line_price(line)
        child(price, ram("ChargeAmount"), plain(stated.amount))
        if stated.base_quantity is not None:
            child(
                price,
                ram("BasisQuantity"),
                plain(stated.base_quantity),
                {"unitCode": line.unit_code},
            )
        delivery = child(node, ram("SpecifiedLineTradeDelivery"))
        child(delivery, ram("BilledQuantity"), plain(line.quantity), {"unitCode": line.unit_code})
        settlement = child(node, ram("SpecifiedLineTradeSettlement"))
        tax = child(settlement, ram("ApplicableTradeTax"))
        child(tax, ram("TypeCode"), "VAT")
        child(tax, ram("CategoryCode"), line.vat_category.value)
        if line.vat_category is not VatCategory.OUTSIDE_SCOPE:  # BR-O-05
            child(tax, ram("RateApplicablePercent"), plain(line.vat_rate))
        if line.period:
            self.period(settlement, line.period.start, line.period.end)
        summation = child(settlement, ram("SpecifiedTradeSettlementLineMonetarySummation"))
        self.money(summation, "LineTotalAmount", line.net_amount)

    def period(self, parent: Element, start: dt.date | None, end: dt.date | None) -> None:
        node = child(parent, _ram("BillingSpecifiedPeriod"))
        if start is not None:
            self.date(node, "StartDateTime", start)
        if end is not None:
            self.date(node, "EndDateTime", end)

    def agreement(self, node: Element) -> None:
        doc, ram = self.doc, _ram
        optional(node, ram("BuyerReference"), doc.buyer_reference)
        self.party(child(node, ram("SellerTradeParty")), doc.seller, seller=True)
        self.party(child(node, ram("BuyerTradeParty")), doc.buyer, seller=False)
        if doc.purchase_order_reference:
            order = child(node, ram("BuyerOrderReferencedDocument"))
            child(order, ram("IssuerAssignedID"), doc.purchase_order_reference)

    def party(self, node: Element, party: Party, *, seller: bool) -> None:
        ram = _ram
        optional(node, ram("Name"), party.name)
        if party.legal_registration_id or party.trading_name:
            legal = child(node, ram("SpecifiedLegalOrganization"))
            if party.legal_registration_id:
                attrib = (
                    {"schemeID": party.legal_registration_scheme}
                    if party.legal_registration_scheme
                    else None
                )
                child(legal, ram("ID"), party.legal_registration_id, attrib)
            optional(legal, ram("TradingBusinessName"), party.trading_name)
        contact = party.contact
        if contact and (contact.name or contact.phone or contact.email):
            trade_contact = child(node, ram("DefinedTradeContact"))
            optional(trade_contact, ram("PersonName"), contact.name)
            if contact.phone:
                phone = child(trade_contact, ram("TelephoneUniversalCommunication"))
                child(phone, ram("CompleteNumber"), contact.phone)
            if contact.email:
                email = child(trade_contact, ram("EmailURIUniversalCommunication"))
                child(email, ram("URIID"), contact.email)
        self.address(node, party.address)
        if party.electronic_address:
            uri = child(node, ram("URIUniversalCommunication"))
            child(
                uri,
                ram("URIID"),
                party.electronic_address.value,
                {"schemeID": party.electronic_address.scheme},
            )
        if self.write_vat_ids and party.vat_id:
            registration = child(node, ram("SpecifiedTaxRegistration"))
            child(registration, ram("ID"), party.vat_id, {"schemeID": "VA"})
        if seller and party.tax_registration_id:
            registration = child(node, ram("SpecifiedTaxRegistration"))
            child(registration, ram("ID"), party.tax_registration_id, {"schemeID": "FC"})

    def address(self, parent: Element, address: PostalAddress) -> None:
        ram = _ram
        if not address.country_code:
            # CountryID is mandatory in the schema; completeness refuses such documents
            # (BR-09 / BR-11), so an address without a country is never written.
            return
        node = child(parent, ram("PostalTradeAddress"))
        optional(node, ram("PostcodeCode"), address.postal_code)
        optional(node, ram("LineOne"), address.line1)
        optional(node, ram("LineTwo"), address.line2)
        optional(node, ram("LineThree"), address.line3)
        optional(node, ram("CityName"), address.city)
        child(node, ram("CountryID"), address.country_code)
        optional(node, ram("CountrySubDivisionName"), address.subdivision)

    def delivery(self, node: Element) -> None:
        # The element itself is mandatory in the CII schema; without BG-13 data it stays the
        # document's one empty element (KoSIT exempts it from PEPPOL-EN16931-R008; the
        # Factur-X schematron reports it as a warning). The service always gives BT-72.
        delivery = self.doc.delivery
        if delivery is None:
            return
        address = delivery.address if delivery.address and delivery.address.country_code else None
        if delivery.party_name or address:
            ship_to = child(node, _ram("ShipToTradeParty"))
            optional(ship_to, _ram("Name"), delivery.party_name)
            if address:
                self.address(ship_to, address)
        if delivery.date:
            event = child(node, _ram("ActualDeliverySupplyChainEvent"))
            self.date(event, "OccurrenceDateTime", delivery.date)

    def settlement(self, node: Element) -> None:
        doc, ram = self.doc, _ram
        payment = doc.payment
        if payment and payment.is_direct_debit:
            optional(node, ram("CreditorReferenceID"), payment.creditor_reference)
        if payment:
            optional(node, ram("PaymentReference"), payment.remittance_information)
        child(node, ram("InvoiceCurrencyCode"), self.currency)
        if payment:
            self.payment_means(node, payment)
        for group in doc.vat_breakdown:
            tax = child(node, ram("ApplicableTradeTax"))
            self.money(tax, "CalculatedAmount", group.tax_amount)
            child(tax, ram("TypeCode"), "VAT")
            optional(tax, ram("ExemptionReason"), group.exemption_reason)
            self.money(tax, "BasisAmount", group.taxable_amount)
            child(tax, ram("CategoryCode"), group.vat_category.value)
            optional(tax, ram("ExemptionReasonCode"), group.exemption_reason_code)
            child(tax, ram("RateApplicablePercent"), plain(group.vat_rate))
        if doc.invoicing_period:
            self.period(node, doc.invoicing_period.start, doc.invoicing_period.end)
        for entry in (*doc.allowances, *doc.charges):
            self.allowance_charge(node, entry)
        mandate = payment.mandate_reference if payment and payment.is_direct_debit else None
        if doc.payment_terms or doc.due_date or mandate:
            terms = child(node, ram("SpecifiedTradePaymentTerms"))
            optional(terms, ram("Description"), doc.payment_terms)
            if doc.due_date:
                self.date(terms, "DueDateDateTime", doc.due_date)
            optional(terms, ram("DirectDebitMandateID"), mandate)
        self.summation(node)
        for preceding in doc.preceding_invoices:
            reference = child(node, ram("InvoiceReferencedDocument"))
            child(reference, ram("IssuerAssignedID"), preceding.number)
            if preceding.issue_date:
                self.date(reference, "FormattedIssueDateTime", preceding.issue_date, qualified=True)

    def payment_means(self, parent: Element, payment: PaymentInstructions) -> None:
        ram = _ram
        node = child(parent, ram("SpecifiedTradeSettlementPaymentMeans"))
        child(node, ram("TypeCode"), payment.means_code)
        optional(node, ram("Information"), payment.means_text)
        if payment.is_card:
            if payment.card_number:
                card = child(node, ram("ApplicableTradeSettlementFinancialCard"))
                child(card, ram("ID"), payment.card_number)
                optional(card, ram("CardholderName"), payment.card_holder)
        elif payment.is_direct_debit:
            if payment.debited_account:
                debtor = child(node, ram("PayerPartyDebtorFinancialAccount"))
                child(debtor, ram("IBANID"), payment.debited_account.replace(" ", ""))
        elif payment.iban:
            account_id = payment.iban.replace(" ", "")
            creditor = child(node, ram("PayeePartyCreditorFinancialAccount"))
            if _IBAN.match(account_id):
                child(creditor, ram("IBANID"), account_id)
                optional(creditor, ram("AccountName"), payment.account_name)
            else:
                # A local account number (e.g. a Kenyan bank account) is not an IBAN.
                optional(creditor, ram("AccountName"), payment.account_name)
                child(creditor, ram("ProprietaryID"), account_id)
            if payment.bic:
                institution = child(node, ram("PayeeSpecifiedCreditorFinancialInstitution"))
                child(institution, ram("BICID"), payment.bic)

    def allowance_charge(self, parent: Element, entry: DocumentAllowanceCharge) -> None:
        ram = _ram
        node = child(parent, ram("SpecifiedTradeAllowanceCharge"))
        indicator = child(node, ram("ChargeIndicator"))
        child(indicator, f"{{{UDT_NS}}}Indicator", "true" if entry.is_charge else "false")
        self.money(node, "ActualAmount", entry.amount)
        optional(node, ram("ReasonCode"), entry.reason_code)
        optional(node, ram("Reason"), entry.reason)
        tax = child(node, ram("CategoryTradeTax"))
        child(tax, ram("TypeCode"), "VAT")
        child(tax, ram("CategoryCode"), entry.vat_category.value)
        if entry.vat_category is not VatCategory.OUTSIDE_SCOPE:  # BR-O-06 / BR-O-07
            child(tax, ram("RateApplicablePercent"), plain(entry.vat_rate))

    def summation(self, parent: Element) -> None:
        totals = self.doc.totals
        node = child(parent, _ram("SpecifiedTradeSettlementHeaderMonetarySummation"))
        self.money(node, "LineTotalAmount", totals.line_total)
        if self.doc.charges:
            self.money(node, "ChargeTotalAmount", totals.charge_total)
        if self.doc.allowances:
            self.money(node, "AllowanceTotalAmount", totals.allowance_total)
        self.money(node, "TaxBasisTotalAmount", totals.tax_exclusive)
        # CII-DT-031: BT-110 is the only amount that carries currencyID.
        child(
            node,
            _ram("TaxTotalAmount"),
            amount(totals.tax_total, self.currency),
            {"currencyID": self.currency},
        )
        if totals.rounding:
            self.money(node, "RoundingAmount", totals.rounding)
        self.money(node, "GrandTotalAmount", totals.tax_inclusive)
        if totals.prepaid:
            self.money(node, "TotalPrepaidAmount", totals.prepaid)
        self.money(node, "DuePayableAmount", totals.payable)


class CiiRenderer(InvoiceRenderer):
    """UN/CEFACT CII D16B e-invoice, EN 16931 guideline."""

    format: ClassVar[DocumentFormat] = DocumentFormat.CII
    media_type: ClassVar[str] = "application/xml"
    file_extension: ClassVar[str] = "xml"
    filename_suffix: ClassVar[str] = "-cii"
    version: ClassVar[int] = 2
    guideline_id: ClassVar[str] = EN16931_GUIDELINE_ID

    def render_bytes(self, document: InvoiceDocument, options: RenderOptions) -> bytes:
        """Check completeness (EN 16931 rules), then write the XML.

        Raises:
            EInvoiceIncompleteError: the document misses data EN 16931 requires.
        """
        require_complete(document, self.format)
        return build_cii(document, guideline_id=self.guideline_id)

    def validate(self, rendered: RenderedDocument) -> list[ValidationIssue]:
        """Factur-X EN 16931 XSD and the EN 16931 CII schematron."""
        return validate_xml(rendered.content, Syntax.CII)
