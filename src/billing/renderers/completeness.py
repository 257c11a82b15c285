"""What an invoice lacks before it can become a valid e-invoice in a given format.

The XML renderers call ``require_complete`` before writing anything and raise
``EInvoiceIncompleteError`` with the full list, which the service turns into a 422
``einvoice_incomplete`` error naming every field to fill in. The checks mirror the rules the
receivers' validators apply (einvoice.md section 4):

* EN 16931 core rules (all XML formats): names (BR-06/07), countries (BR-09/11, BR-CL-14),
  seller identification (BR-CO-26), VAT identifiers per category (BR-S/Z/E/AE/IC/G-02),
  exemption reasons (BR-E/AE/IC/G/O-10), category rates (BR-S/Z/E/AE/IC/G-05), not-subject
  invoices (BR-O-11), intra-community delivery data (BR-IC-11/12), payment account
  (BR-61), due date or terms (BR-CO-25), code lists (BR-CL-*), two-decimal amounts (BR-DEC).
* Peppol BIS Billing 3.0 (``ubl``): buyer reference or order (R003), both endpoint ids
  (R010/R020) with a scheme Peppol routes on (CL008), line net = quantity x price (R120),
  direct debit mandate (R061), corrected invoices between German parties only (P0112), GLN
  check digits (PEPPOL-COMMON-R040), and the German national rules (DE-R-*) when seller and
  buyer are both German.
* XRechnung 3.0 (``xrechnung``): the BR-DE rules plus the Peppol rules KoSIT merges in.

Each rule keeps its official severity (``rules.py``): ``missing_einvoice_fields`` lists the
fatal findings, which refuse the document; ``einvoice_warnings`` lists the warnings, which
never do (KoSIT's R120 in XRechnung is one).

Field names are the API's: ``seller.vat_id``, ``buyer.electronic_address``,
``items[3].exemption_reason`` (``items`` are the invoice lines, counted from 0).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from billing.core.money import minor_unit
from billing.core.totals import VatCategory
from billing.renderers.base import DocumentFormat
from billing.renderers.codes import (
    COUNTRY_CODES,
    CURRENCY_CODES,
    EAS_CODES,
    ICD_CODES,
    PAYMENT_MEANS_CODES,
    UNIT_CODES,
    VATEX_CODES,
)
from billing.renderers.endpoints import peppol_endpoint
from billing.renderers.errors import EInvoiceIncompleteError, MissingField
from billing.renderers.model import InvoiceDocument, Party
from billing.renderers.prices import R120_SLACK, line_price
from billing.renderers.rules import Severity, severity

__all__ = ["MissingField", "einvoice_warnings", "missing_einvoice_fields", "require_complete"]

_ZERO = Decimal(0)
# BR-CO-09: a VAT identifier starts with an ISO 3166-1 alpha-2 code; Greece uses "EL".
_VAT_PREFIXES = COUNTRY_CODES | {"EL"}
_EXEMPTION_RULES = {
    VatCategory.EXEMPT: "BR-E-10",
    VatCategory.REVERSE_CHARGE: "BR-AE-10",
    VatCategory.INTRA_COMMUNITY: "BR-IC-10",
    VatCategory.EXPORT: "BR-G-10",
    VatCategory.OUTSIDE_SCOPE: "BR-O-10",
}
_ZERO_RATE_RULES = {
    VatCategory.ZERO_RATED: "BR-Z-05",
    VatCategory.EXEMPT: "BR-E-05",
    VatCategory.REVERSE_CHARGE: "BR-AE-05",
    VatCategory.INTRA_COMMUNITY: "BR-IC-05",
    VatCategory.EXPORT: "BR-G-05",
}
# KoSIT's XR-SKONTO-REGEX, applied to each whitespace-normalised line that starts with "#".
_SKONTO = re.compile(
    r"#SKONTO#TAGE=[0-9]+#PROZENT=[0-9]+\.[0-9]{2}(#BASISBETRAG=-?[0-9]+\.[0-9]{2})?#"
)
# BR-DE-18 tokenises BT-20 at every "#...#" segment (no line breaks inside, as in XPath) and
# requires the text after the last one to begin with optional whitespace and a line break.
_SKONTO_SEGMENT = re.compile(r"#.+#")
_SKONTO_TAIL = re.compile(r"\s*\n")


def missing_einvoice_fields(
    document: InvoiceDocument, format: DocumentFormat | str
) -> list[MissingField]:
    """List what ``document`` lacks to be a valid e-invoice in ``format``.

    Only rules that the official rule sets flag fatal are listed (``rules.py``): each of them
    makes a receiver reject the file.

    Args:
        document: the invoice snapshot.
        format: the target format (``pdf`` has no requirements and returns ``[]``;
            ``zugferd`` and ``cii`` share the EN 16931 checks).

    Returns:
        One entry per problem, in a stable order, without duplicates; empty when the
        document can be rendered.
    """
    target = DocumentFormat.parse(format)
    return [item for item in _findings(document, target) if _fatal(item, target)]


def einvoice_warnings(
    document: InvoiceDocument, format: DocumentFormat | str
) -> list[MissingField]:
    """The findings the official rule sets flag as warnings: worth logging, never refused."""
    target = DocumentFormat.parse(format)
    return [item for item in _findings(document, target) if not _fatal(item, target)]


def _fatal(item: MissingField, target: DocumentFormat) -> bool:
    return severity(item.rule, target) is Severity.FATAL


def _findings(document: InvoiceDocument, target: DocumentFormat) -> list[MissingField]:
    if target is DocumentFormat.PDF:
        return []
    found: list[MissingField] = []
    _core_rules(document, found.append)
    if target is DocumentFormat.UBL:
        _peppol_rules(document, found.append, peppol=True)
        if _german_parties(document):
            _german_rules(document, found.append, rule=_peppol_german_rule)
    elif target is DocumentFormat.XRECHNUNG:
        _german_rules(document, found.append, rule=lambda suffix: f"BR-DE-{suffix}")
        _peppol_rules(document, found.append, peppol=False)
    if target in (DocumentFormat.UBL, DocumentFormat.XRECHNUNG):
        _ubl_credit_note_due_date(document, found.append)
    unique: dict[tuple[str, str], MissingField] = {}
    for item in found:
        unique.setdefault((item.field, item.rule), item)
    return list(unique.values())


def _peppol_german_rule(suffix: str) -> str:
    # XRechnung's BR-DE-23-a is Peppol's DE-R-023-1 (xr-rules-list.xml of KoSIT).
    number, _, part = suffix.partition("-")
    return f"DE-R-{int(number):03d}" + ({"a": "-1", "b": "-2"}[part] if part else "")


def require_complete(document: InvoiceDocument, format: DocumentFormat | str) -> None:
    """Raise ``EInvoiceIncompleteError`` unless the document can be rendered in ``format``."""
    missing = missing_einvoice_fields(document, format)
    if missing:
        raise EInvoiceIncompleteError(missing, format=DocumentFormat.parse(format).value)


Report = Callable[[MissingField], None]


def _country(party: Party) -> str | None:
    return party.address.country_code


def _core_rules(doc: InvoiceDocument, report: Report) -> None:
    """EN 16931 rules every XML syntax applies (CEN schematron for UBL and CII)."""
    if doc.currency not in CURRENCY_CODES:
        report(MissingField("currency", "BT-5", "BR-CL-04", "not an ISO 4217 currency code"))
    if minor_unit(doc.currency) > 2:
        report(
            MissingField(
                "currency",
                "BT-5",
                "BR-DEC-*",
                f"EN 16931 amounts have at most 2 decimals; {doc.currency} uses "
                f"{minor_unit(doc.currency)}, so this invoice cannot be an e-invoice",
            )
        )
    _party_basics(doc.seller, "seller", report, name=("BT-27", "BR-06"), country=("BT-40", "BR-09"))
    _party_basics(doc.buyer, "buyer", report, name=("BT-44", "BR-07"), country=("BT-55", "BR-11"))
    delivery_address = doc.delivery.address if doc.delivery else None
    if delivery_address is not None:
        _country_code(delivery_address.country_code, "delivery.address", "BT-80", "BR-57", report)

    categories = doc.vat_categories
    outside = VatCategory.OUTSIDE_SCOPE in categories
    seller, buyer = doc.seller, doc.buyer
    if outside:
        # BR-O-02: the XML carries no VAT identifiers, so identification rests on BT-30.
        if not seller.legal_registration_id:
            report(
                MissingField(
                    "seller.legal_registration_id",
                    "BT-30",
                    "BR-CO-26",
                    "an invoice not subject to VAT carries no VAT identifier (BR-O-02); "
                    "give the seller's legal registration identifier (company number)",
                )
            )
        others = categories - {VatCategory.OUTSIDE_SCOPE}
        if others:
            index = next(i for i, line in enumerate(doc.lines) if line.vat_category in others)
            report(
                MissingField(
                    f"items[{index}].tax_category",
                    "BT-151",
                    "BR-O-11",
                    "category O (not subject to VAT) cannot be mixed with other VAT "
                    "categories on one invoice; issue separate invoices",
                )
            )
    else:
        if not (seller.vat_id or seller.legal_registration_id):
            report(
                MissingField(
                    "seller.vat_id",
                    "BT-31",
                    "BR-CO-26",
                    "give the seller VAT identifier or legal registration identifier (BT-30)",
                )
            )
        _vat_prefix(seller.vat_id, "seller.vat_id", "BT-31", report)
        _vat_prefix(buyer.vat_id, "buyer.vat_id", "BT-48", report)

    for category, rule in (
        (VatCategory.STANDARD, "BR-S-02"),
        (VatCategory.ZERO_RATED, "BR-Z-02"),
        (VatCategory.EXEMPT, "BR-E-02"),
        (VatCategory.REVERSE_CHARGE, "BR-AE-02"),
    ):
        if category in categories and not (seller.vat_id or seller.tax_registration_id):
            report(
                MissingField(
                    "seller.vat_id",
                    "BT-31",
                    rule,
                    f"VAT category {category.value} requires the seller VAT identifier "
                    "(or the tax registration identifier BT-32)",
                )
            )
    for category, rule in (
        (VatCategory.INTRA_COMMUNITY, "BR-IC-02"),
        (VatCategory.EXPORT, "BR-G-02"),
    ):
        if category in categories and not seller.vat_id:
            report(
                MissingField(
                    "seller.vat_id",
                    "BT-31",
                    rule,
                    f"VAT category {category.value} requires the seller VAT identifier",
                )
            )
    if VatCategory.REVERSE_CHARGE in categories and not (
        buyer.vat_id or buyer.legal_registration_id
    ):
        report(
            MissingField(
                "buyer.vat_id",
                "BT-48",
                "BR-AE-02",
                "reverse charge requires the buyer VAT identifier (or legal registration BT-47)",
            )
        )
    if VatCategory.INTRA_COMMUNITY in categories:
        if not buyer.vat_id:
            report(
                MissingField(
                    "buyer.vat_id",
                    "BT-48",
                    "BR-IC-02",
                    "an intra-community supply requires the buyer VAT identifier",
                )
            )
        delivery = doc.delivery
        if not ((delivery and delivery.date) or doc.invoicing_period):
            report(
                MissingField(
                    "delivery.date",
                    "BT-72",
                    "BR-IC-11",
                    "an intra-community supply needs the actual delivery date or an "
                    "invoicing period (BG-14)",
                )
            )
        if not (delivery and delivery.address and delivery.address.country_code):
            report(
                MissingField(
                    "delivery.address.country_code",
                    "BT-80",
                    "BR-IC-12",
                    "an intra-community supply needs the deliver-to country",
                )
            )

    _line_rules(doc, report)
    for group in doc.vat_breakdown:
        exemption_rule = _EXEMPTION_RULES.get(group.vat_category)
        if exemption_rule and not (group.exemption_reason or group.exemption_reason_code):
            index = next(
                i for i, line in enumerate(doc.lines) if line.vat_category is group.vat_category
            )
            report(
                MissingField(
                    f"items[{index}].exemption_reason",
                    "BT-120",
                    exemption_rule,
                    f"VAT category {group.vat_category.value} needs an exemption reason text "
                    "(BT-120) or VATEX code (BT-121) on its lines",
                )
            )

    if doc.totals.payable > 0 and not (doc.due_date or doc.payment_terms):
        report(
            MissingField(
                "due_date",
                "BT-9",
                "BR-CO-25",
                "an amount is due: give the due date or payment terms (BT-20)",
            )
        )
    payment = doc.payment
    if payment is not None:
        if payment.means_code not in PAYMENT_MEANS_CODES:
            report(
                MissingField(
                    "payment.means_code",
                    "BT-81",
                    "BR-CL-16",
                    "not a UNTDID 4461 payment means code",
                )
            )
        card_number = "".join((payment.card_number or "").split())
        if len(card_number) > 10:
            # A warning in the UBL rules but an error in the CII ones; PCI DSS allows at
            # most the first 6 and the last 4 digits.
            report(
                MissingField(
                    "payment.card_number",
                    "BT-87",
                    "BR-51",
                    "never give the full card number: at most 10 characters (the last 4 digits)",
                )
            )
        if payment.is_credit_transfer and not payment.iban:
            report(
                MissingField(
                    "payment.iban",
                    "BT-84",
                    "BR-61",
                    "a credit transfer needs the payee account identifier (IBAN)",
                )
            )
    for party, path, term in ((seller, "seller", "BT-34-1"), (buyer, "buyer", "BT-49-1")):
        address = party.electronic_address
        if address is not None and address.scheme not in EAS_CODES:
            report(
                MissingField(
                    f"{path}.electronic_address.scheme",
                    term,
                    "BR-CL-25",
                    f"{address.scheme!r} is not a CEF EAS scheme (use EM for e-mail, 0088 "
                    "for a GLN, 9930 for a German VAT number, ...)",
                )
            )
        scheme = party.legal_registration_scheme
        if scheme is not None and scheme not in ICD_CODES:
            report(
                MissingField(
                    f"{path}.legal_registration_scheme",
                    "BT-30-1" if path == "seller" else "BT-47-1",
                    "BR-CL-11",
                    f"{scheme!r} is not an ISO 6523 ICD scheme",
                )
            )


def _ubl_credit_note_due_date(doc: InvoiceDocument, report: Report) -> None:
    # A UBL CreditNote has no header DueDate: BT-9 binds to PaymentMeans/PaymentDueDate, so
    # without payment instructions the due date cannot be written and BR-CO-25 would fail.
    if (
        doc.type_code.is_credit_note
        and doc.totals.payable > 0
        and doc.payment is None
        and not doc.payment_terms
        and doc.due_date is not None
    ):
        report(
            MissingField(
                "payment_terms",
                "BT-20",
                "BR-CO-25",
                "a UBL credit note carries its due date inside the payment instructions (BG-16); "
                "give payment instructions or payment terms",
            )
        )


def _party_basics(
    party: Party,
    path: str,
    report: Report,
    *,
    name: tuple[str, str],
    country: tuple[str, str],
) -> None:
    if not party.name:
        report(
            MissingField(f"{path}.name", name[0], name[1], f"the {path}'s legal name is required")
        )
    _country_code(party.address.country_code, f"{path}.address", country[0], country[1], report)


def _country_code(code: str | None, path: str, term: str, rule: str, report: Report) -> None:
    if not code:
        report(MissingField(f"{path}.country_code", term, rule, "the country code is required"))
    elif code not in COUNTRY_CODES:
        report(
            MissingField(
                f"{path}.country_code",
                term,
                "BR-CL-14",
                f"{code!r} is not an ISO 3166-1 alpha-2 country code",
            )
        )


def _vat_prefix(vat_id: str | None, path: str, term: str, report: Report) -> None:
    # Case-sensitive, as the CEN schematron compares it: "de123456789" fails BR-CO-09.
    if vat_id and vat_id[:2] not in _VAT_PREFIXES:
        report(
            MissingField(
                path,
                term,
                "BR-CO-09",
                "a VAT identifier starts with its upper-case country code (DE123456789, "
                "EL123456789)",
            )
        )


def _line_rules(doc: InvoiceDocument, report: Report) -> None:
    for index, line in enumerate(doc.lines):
        item = f"items[{index}]"
        if not line.name:
            report(MissingField(f"{item}.name", "BT-153", "BR-25", "every line needs an item name"))
        if line.unit_code not in UNIT_CODES:
            report(
                MissingField(
                    f"{item}.unit_code",
                    "BT-130",
                    "BR-CL-23",
                    f"{line.unit_code!r} is not a UN/ECE Rec 20 unit code (C62 piece, HUR hour)",
                )
            )
        if line.unit_price < 0:
            report(
                MissingField(
                    f"{item}.unit_price",
                    "BT-146",
                    "BR-27",
                    "the item net price cannot be negative; use a negative quantity instead",
                )
            )
        category = line.vat_category
        if category is VatCategory.STANDARD and line.vat_rate <= 0:
            report(
                MissingField(
                    f"{item}.tax_rate",
                    "BT-152",
                    "BR-S-05",
                    "a standard-rated line needs a rate above 0 (use category Z for 0 %)",
                )
            )
        elif category in _ZERO_RATE_RULES and line.vat_rate != 0:
            report(
                MissingField(
                    f"{item}.tax_rate",
                    "BT-152",
                    _ZERO_RATE_RULES[category],
                    f"VAT category {category.value} lines carry a 0 % rate",
                )
            )
        elif category is VatCategory.OUTSIDE_SCOPE and line.vat_rate != 0:
            report(
                MissingField(
                    f"{item}.tax_rate",
                    "BT-152",
                    "BR-O-05",
                    "lines not subject to VAT carry no rate; pass 0",
                )
            )
        code = line.exemption_reason_code
        if code and category.needs_exemption_reason and code not in VATEX_CODES:
            report(
                MissingField(
                    f"{item}.exemption_reason_code",
                    "BT-121",
                    "BR-CL-22",
                    f"{code!r} is not a CEF VATEX code (VATEX-EU-AE, VATEX-EU-IC, ...)",
                )
            )


def _peppol_rules(doc: InvoiceDocument, report: Report, *, peppol: bool) -> None:
    """Peppol BIS Billing 3.0 rules, for Peppol UBL (``peppol``) or as merged into XRechnung.

    KoSIT merges R010, R020, R061 and R120 (as a warning) into XRechnung, but not R003, the
    Peppol code list CL008, P0112 or PEPPOL-COMMON-R040; XRechnung endpoints are checked
    against the EN 16931 list (BR-CL-25, in ``_core_rules``).
    """
    prefix = "PEPPOL-EN16931-"
    if peppol and not (doc.buyer_reference or doc.purchase_order_reference):
        report(
            MissingField(
                "buyer_reference",
                "BT-10",
                f"{prefix}R003",
                "Peppol needs the buyer reference or the purchase order reference (BT-13)",
            )
        )
    for party, path, term, rule in (
        (doc.seller, "seller", "BT-34", "R020"),
        (doc.buyer, "buyer", "BT-49", "R010"),
    ):
        _endpoint(party, path, term, f"{prefix}{rule}", report, peppol=peppol)
    if peppol and doc.type_code.value in ("326", "384") and not _german_parties(doc):
        report(
            MissingField(
                "type_code",
                "BT-3",
                f"{prefix}P0112",
                "Peppol allows a corrected invoice (384) only between a German seller and a "
                "German buyer; issue a credit note (381) and a new invoice instead",
            )
        )
    for index, line in enumerate(doc.lines):
        price = line_price(line)
        stated = line.quantity * price.amount / (price.base_quantity or 1)
        if abs(stated - line.net_amount) > R120_SLACK:
            report(
                MissingField(
                    f"items[{index}].unit_price",
                    "BT-146",
                    f"{prefix}R120",
                    f"quantity x unit price ({stated}) differs from the line net "
                    f"({line.net_amount}) by more than {R120_SLACK}",
                )
            )
    payment = doc.payment
    if payment is not None and payment.is_direct_debit and not payment.mandate_reference:
        report(
            MissingField(
                "payment.mandate_reference",
                "BT-89",
                f"{prefix}R061",
                "a direct debit needs the mandate reference",
            )
        )


def _endpoint(
    party: Party, path: str, term: str, rule: str, report: Report, *, peppol: bool
) -> None:
    address = party.electronic_address
    if not peppol:
        if address is None:
            report(
                MissingField(
                    f"{path}.electronic_address",
                    term,
                    rule,
                    f"give the {path}'s electronic address (a Peppol participant id, a "
                    "Leitweg-ID with scheme 0204, or an e-mail address)",
                )
            )
        return
    endpoint = peppol_endpoint(party)
    if endpoint is None:
        # PEPPOL-EN16931-CL008: an address exists but Peppol does not route on its scheme.
        code = f"{path}'s {address.scheme} address" if address is not None else "none"
        report(
            MissingField(
                f"{path}.electronic_address",
                term,
                rule if address is None else "PEPPOL-EN16931-CL008",
                f"Peppol needs the {path}'s Peppol participant id (a scheme of the Peppol EAS "
                f"list such as 0088 or 0208), or a VAT identifier of a country with a Peppol "
                f"VAT scheme; the {path} has {code}, which Peppol cannot deliver to",
            )
        )
    elif endpoint.scheme == "0088" and not _valid_gln(endpoint.value):
        report(
            MissingField(
                f"{path}.electronic_address",
                term,
                "PEPPOL-COMMON-R040",
                "a GLN (scheme 0088) has 13 digits with a valid GS1 check digit",
            )
        )


def _german_parties(doc: InvoiceDocument) -> bool:
    return _country(doc.seller) == "DE" and _country(doc.buyer) == "DE"


def _german_rules(doc: InvoiceDocument, report: Report, *, rule: Callable[[str], str]) -> None:
    """The German CIUS: XRechnung's BR-DE-n, or Peppol's DE-R-0nn for DE-to-DE invoices.

    ``rule`` turns XRechnung's number (``"23-a"``) into the id of the target rule set.
    """
    seller, buyer, payment = doc.seller, doc.buyer, doc.payment
    if payment is None:
        report(
            MissingField(
                "payment",
                "BG-16",
                rule("1"),
                "payment instructions (means code, account) are required",
            )
        )
    contact = seller.contact
    if contact is None:
        report(
            MissingField(
                "seller.contact",
                "BG-6",
                rule("2"),
                "the seller contact (name, phone, e-mail) is required",
            )
        )
    for attribute, term, number, label in (
        ("name", "BT-41", "5", "name"),
        ("phone", "BT-42", "6", "telephone number"),
        ("email", "BT-43", "7", "e-mail address"),
    ):
        if contact is None or not getattr(contact, attribute):
            report(
                MissingField(
                    f"seller.contact.{attribute}",
                    term,
                    rule(number),
                    f"the seller contact {label} is required",
                )
            )
    for party, path, city, postal in (
        (seller, "seller", ("BT-37", "3"), ("BT-38", "4")),
        (buyer, "buyer", ("BT-52", "8"), ("BT-53", "9")),
    ):
        if not party.address.city:
            report(
                MissingField(f"{path}.address.city", city[0], rule(city[1]), "the city is required")
            )
        if not party.address.postal_code:
            report(
                MissingField(
                    f"{path}.address.postal_code",
                    postal[0],
                    rule(postal[1]),
                    "the post code is required",
                )
            )
    delivery_address = doc.delivery.address if doc.delivery else None
    if delivery_address is not None:
        if not delivery_address.city:
            report(
                MissingField(
                    "delivery.address.city", "BT-77", rule("10"), "the deliver-to city is required"
                )
            )
        if not delivery_address.postal_code:
            report(
                MissingField(
                    "delivery.address.postal_code",
                    "BT-78",
                    rule("11"),
                    "the deliver-to post code is required",
                )
            )
    if not doc.buyer_reference:
        report(
            MissingField(
                "buyer_reference",
                "BT-10",
                rule("15"),
                "the buyer reference is required (the Leitweg-ID for public buyers)",
            )
        )
    taxed = doc.vat_categories & {
        VatCategory.STANDARD,
        VatCategory.ZERO_RATED,
        VatCategory.EXEMPT,
        VatCategory.REVERSE_CHARGE,
        VatCategory.INTRA_COMMUNITY,
        VatCategory.EXPORT,
    }
    if taxed and not (seller.vat_id or seller.tax_registration_id):
        report(
            MissingField(
                "seller.vat_id",
                "BT-31",
                rule("16"),
                "the seller VAT identifier or tax number (BT-32) is required",
            )
        )
    if not _skonto_valid(doc.payment_terms or ""):
        report(
            MissingField(
                "payment_terms",
                "BT-20",
                rule("18"),
                "lines starting with # must read #SKONTO#TAGE=n#PROZENT=n.nn# (optionally "
                "#BASISBETRAG=n.nn# before the last #), each followed by a line break",
            )
        )
    if payment is not None:
        if payment.is_credit_transfer and not payment.iban:
            report(
                MissingField(
                    "payment.iban", "BT-84", rule("23-a"), "a credit transfer needs the IBAN"
                )
            )
        if payment.is_card and not payment.card_number:
            report(
                MissingField(
                    "payment.card_number",
                    "BT-87",
                    rule("24-a"),
                    "a card payment needs the (masked) card account number",
                )
            )
        if payment.means_code == "59" or payment.is_direct_debit:
            for attribute, term, number, label in (
                ("mandate_reference", "BT-89", "25-a", "mandate reference"),
                ("creditor_reference", "BT-90", "30", "bank assigned creditor identifier"),
                ("debited_account", "BT-91", "31", "debited account (IBAN)"),
            ):
                if not getattr(payment, attribute):
                    report(
                        MissingField(
                            f"payment.{attribute}",
                            term,
                            rule(number),
                            f"a direct debit needs the {label}",
                        )
                    )


def _skonto_valid(terms: str) -> bool:
    """BR-DE-18 exactly as KoSIT's schematron tests it."""
    lines = [" ".join(line.split()) for line in re.split(r"\r?\n", terms)]
    skonto = [line for line in lines if line.startswith("#")]
    if not skonto:
        return True
    if not all(_SKONTO.fullmatch(line) for line in skonto):
        return False
    return _SKONTO_TAIL.match(_SKONTO_SEGMENT.split(terms)[-1]) is not None


def _valid_gln(value: str) -> bool:
    if not re.fullmatch(r"[0-9]{13}", value):
        return False
    digits = [int(char) for char in value]
    weighted = sum(digit * (3 if position % 2 else 1) for position, digit in enumerate(digits[:12]))
    return (10 - weighted % 10) % 10 == digits[12]
