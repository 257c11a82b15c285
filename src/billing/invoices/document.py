"""The one bridge from invoice rows to the renderers' EN 16931 model (``InvoiceDocument``).

Everything a renderer needs is read here and nowhere else:

* the seller is the invoice's frozen ``seller`` snapshot (taken when it was issued); a draft,
  which has none yet, shows the seller of the current settings;
* the buyer is the frozen ``buyer`` snapshot (billing profile plus the invoice's own customer
  fields); its Peppol id is the electronic address, else its e-mail (scheme ``EM``, which
  XRechnung and CII accept; a Peppol invoice routes on the VAT scheme instead, see
  ``billing.renderers.endpoints``);
* VAT identifiers are written compact and upper case (BR-CO-09), also from snapshots taken
  before the API normalised them;
* lines, discount, references, due date, terms and notes come from the invoice row, and the
  document's totals are checked against the stored totals to the cent;
* payment instructions come from the seller's bank account: SEPA credit transfer (UNTDID 4461
  ``58``) for a EUR invoice, credit transfer (``30``) otherwise, with the invoice number as
  remittance information;
* the presentation fields (status, amount paid and credited, enabled payment methods, public
  URL) are only printed on the PDF. ``amount_paid`` is money received after issue, not BT-113
  prepaid, and credit notes are documents of their own, so the e-invoice keeps stating the
  full amount due and stays the same whatever is paid or credited later.

A credit note (``build_credit_note_document``) is built the same way from its own frozen
copies: type 381, the credited invoice as the preceding invoice (BG-3: BT-25 and BT-26), the
reason as a note (BT-22), its issue date as due date (BT-9, BR-CO-25), the seller's payment
instructions with the credit note number as reference, and payment terms (BT-20) that say
what happened to the money. Its PDF carries no QR code and no payment methods: nobody pays a
credit note.

The invoice has no separate date of supply, so its issue date stands in as the actual delivery
date (BT-72) of every invoice: German VAT law asks for the date of supply on each invoice,
XRechnung recommends it (BR-DE-TMP-32), an intra-community supply (category K) needs it
(BR-IC-11), and it fills CII's mandatory delivery block, which would otherwise be the one empty
element of the document (PEPPOL-EN16931-R008). Category K also needs the deliver-to country
(BR-IC-12): goods go to the buyer's address, or only to the destination country when that
differs from the buyer's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from billing.core.money import display_decimal, round_money
from billing.core.schemas import normalize_vat_id
from billing.core.totals import VatCategory
from billing.invoices.presenter import effective_status, language_of
from billing.models.credit_note import CreditNote, CreditNoteLine
from billing.models.invoice import Invoice, InvoiceLine
from billing.models.states import InvoiceStatus
from billing.renderers import (
    Contact,
    Delivery,
    DocumentError,
    DocumentStatus,
    ElectronicAddress,
    InvoiceDocument,
    InvoiceTypeCode,
    LineInput,
    Party,
    PaymentInstructions,
    PostalAddress,
    PrecedingInvoice,
    build_document,
)
from billing.settings.schemas import OperatorSettings

METHOD_LABELS: dict[str, str] = {
    "cash": "Cash",
    "mpesa": "M-Pesa",
    "bank": "Bank transfer",
    "cash_on_delivery": "Cash on delivery",
    "pesapal": "Pesapal",
    "stripe": "Card",
    "mollie": "Mollie",
    "wallet": "Wallet credit",
    "other": "Other",
}
"""How a payment method is named to people (PDF, public page), in English."""

_TRANSLATED_METHOD_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "cash": "Espèces",
        "bank": "Virement bancaire",
        "cash_on_delivery": "Paiement à la livraison",
        "stripe": "Carte",
        "wallet": "Avoir",
        "other": "Autre",
    },
    "de": {
        "cash": "Bargeld",
        "bank": "Überweisung",
        "cash_on_delivery": "Zahlung bei Lieferung",
        "stripe": "Karte",
        "wallet": "Guthaben",
        "other": "Sonstige",
    },
    "rw": {
        "cash": "Amafaranga mu ntoki",
        "bank": "Kohereza muri banki",
        "cash_on_delivery": "Kwishyura ugejejweho ibicuruzwa",
        "stripe": "Ikarita",
        "wallet": "Amafaranga abitswe",
        "other": "Ibindi",
    },
}

SEPA_CURRENCY = "EUR"
LANGUAGE = "en"


def method_label(method: str, language: str = LANGUAGE) -> str:
    """The display name of a payment method (``mpesa`` -> ``M-Pesa``) in ``language``
    (brand names stay as they are)."""
    translated = _TRANSLATED_METHOD_LABELS.get(language, {}).get(method)
    if translated is not None:
        return translated
    return METHOD_LABELS.get(method, method.replace("_", " ").capitalize())


def draft_number(invoice: Invoice) -> str:
    """The provisional number a draft carries until it is issued."""
    return f"DRAFT-{str(invoice.id)[:8].upper()}"


@dataclass(frozen=True, slots=True)
class DocumentPresentation:
    """What the PDF shows beyond the frozen invoice; these fields may change after issue."""

    status: DocumentStatus
    amount_paid: Decimal
    payment_methods: tuple[str, ...]
    public_url: str | None
    logo_url: str | None
    language: str = LANGUAGE
    amount_credited: Decimal = Decimal(0)

    def key(self) -> str:
        """A SHA-256 of the fields: two PDFs of one invoice differ only when it differs."""
        fields: dict[str, Any] = {
            "status": self.status.value,
            "amount_paid": str(self.amount_paid),
            "payment_methods": list(self.payment_methods),
            "public_url": self.public_url,
            "logo_url": self.logo_url,
            "language": self.language,
        }
        if self.amount_credited:
            # Only when there is one: the keys of PDFs stored before credit notes existed stay.
            fields["amount_credited"] = str(self.amount_credited)
        payload = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def seller_of(invoice: Invoice, settings: OperatorSettings) -> Mapping[str, Any]:
    """The frozen seller snapshot; a draft has none yet and shows the current settings."""
    if invoice.seller is not None:
        return invoice.seller
    return settings.seller.model_dump(mode="json")


def presentation_of(
    invoice: Invoice,
    settings: OperatorSettings,
    *,
    public_url: str,
    today: date | None = None,
) -> DocumentPresentation:
    """The presentation fields; with ``today`` an unpaid invoice past due shows as overdue."""
    status = effective_status(invoice, today) if today else InvoiceStatus(invoice.status)
    language = language_of(invoice).value
    return DocumentPresentation(
        status=DocumentStatus.parse(status.value),
        amount_paid=round_money(invoice.amount_paid, invoice.currency),
        amount_credited=round_money(invoice.amount_credited, invoice.currency),
        payment_methods=tuple(method_label(m, language) for m in settings.enabled_methods()),
        public_url=public_url,
        logo_url=_text(seller_of(invoice, settings), "logo_url"),
        language=language,
    )


def build_invoice_document(
    invoice: Invoice,
    settings: OperatorSettings,
    *,
    public_url: str,
    today: date | None = None,
) -> InvoiceDocument:
    """The EN 16931 snapshot of ``invoice`` (its lines must be loaded).

    Args:
        invoice: the invoice with its lines.
        settings: the operator settings (seller of a draft, enabled payment methods).
        public_url: the public page of the invoice, printed as a QR code.
        today: the operator's date; when given, the status shown may be ``overdue``.

    Returns:
        The frozen document; its totals equal the invoice's stored totals.

    Raises:
        DocumentError: the invoice cannot form a consistent document (no lines, lines of one
            VAT group with different exemption codes), or its stored totals differ from
            what its lines give.
    """
    presentation = presentation_of(invoice, settings, public_url=public_url, today=today)
    seller = seller_of(invoice, settings)
    buyer = invoice.buyer
    number = invoice.invoice_number or draft_number(invoice)
    lines = [_line(line) for line in invoice.items]
    document = build_document(
        number=number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        seller=_seller_party(seller),
        buyer=_buyer_party(buyer),
        lines=lines,
        notes=[invoice.notes] if invoice.notes else (),
        buyer_reference=invoice.buyer_reference,
        purchase_order_reference=invoice.purchase_order_reference,
        delivery=_delivery(
            lines,
            day=invoice.issue_date,
            buyer=invoice.buyer,
            destination=invoice.destination_country,
        ),
        discount=invoice.discount_amount,
        payment=_payment(invoice.currency, invoice.invoice_number, seller),
        payment_terms=invoice.payment_terms,
        status=presentation.status,
        amount_paid=presentation.amount_paid,
        amount_credited=presentation.amount_credited,
        public_url=presentation.public_url,
        seller_logo_url=presentation.logo_url,
        payment_methods=presentation.payment_methods,
        language=presentation.language,
    )
    _check_totals(invoice, document)
    return document


def credit_note_presentation(credit_note: CreditNote) -> DocumentPresentation:
    """What a credit note's PDF shows beyond the frozen document; it never changes."""
    return DocumentPresentation(
        status=DocumentStatus.ISSUED,
        amount_paid=Decimal(0),
        payment_methods=(),
        public_url=None,
        logo_url=_text(credit_note.seller, "logo_url"),
    )


def build_credit_note_document(credit_note: CreditNote) -> InvoiceDocument:
    """The EN 16931 snapshot (type 381) of a credit note (its lines must be loaded).

    Raises:
        DocumentError: the stored totals differ from what its lines give.
    """
    seller = credit_note.seller
    lines = [_line(line) for line in credit_note.items]
    presentation = credit_note_presentation(credit_note)
    document = build_document(
        number=credit_note.credit_note_number,
        type_code=InvoiceTypeCode.CREDIT_NOTE,
        issue_date=credit_note.issue_date,
        due_date=credit_note.issue_date,
        currency=credit_note.currency,
        seller=_seller_party(seller),
        buyer=_buyer_party(credit_note.buyer),
        lines=lines,
        notes=[credit_note.reason],
        buyer_reference=credit_note.buyer_reference,
        purchase_order_reference=credit_note.purchase_order_reference,
        preceding_invoices=[
            PrecedingInvoice(
                number=credit_note.invoice_number, issue_date=credit_note.invoice_issue_date
            )
        ],
        delivery=_delivery(
            lines,
            day=credit_note.invoice_issue_date,
            buyer=credit_note.buyer,
            destination=credit_note.destination_country,
        ),
        discount=credit_note.discount_amount,
        discount_split=credit_note.discount_parts(),
        payment=_payment(credit_note.currency, credit_note.credit_note_number, seller),
        payment_terms=settlement_terms(credit_note),
        status=presentation.status,
        seller_logo_url=presentation.logo_url,
        language=presentation.language,
    )
    _check_totals(credit_note, document)
    return document


def settlement_terms(credit_note: CreditNote) -> str:
    """Payment terms (BT-20) of a credit note: what happened to the credited money."""
    currency = credit_note.currency

    def amount(value: Decimal) -> str:
        return f"{round_money(value, currency)} {currency}"

    parts: list[str] = []
    if credit_note.refunded_amount:
        parts.append(f"{amount(credit_note.refunded_amount)} refunded to the means of payment")
    if credit_note.wallet_amount:
        parts.append(
            f"{amount(credit_note.wallet_amount)} credited to the customer's account balance"
        )
    if credit_note.balance_reduction:
        parts.append(
            f"{amount(credit_note.balance_reduction)} deducted from the amount due on invoice "
            f"{credit_note.invoice_number}"
        )
    return "; ".join(parts) + "."


def _check_totals(invoice: Invoice | CreditNote, document: InvoiceDocument) -> None:
    # The API, the PDF and the XML must show the same numbers to the cent (PRODUCT.md §4).
    currency = invoice.currency
    stored = {
        "subtotal": invoice.subtotal,
        "discount_amount": invoice.discount_amount,
        "tax_amount": invoice.tax_amount,
        "total_amount": invoice.total_amount,
    }
    totals = document.totals
    computed = {
        "subtotal": totals.line_total,
        "discount_amount": totals.allowance_total,
        "tax_amount": totals.tax_total,
        "total_amount": totals.tax_inclusive,
    }
    for name, value in stored.items():
        if round_money(value, currency) != computed[name]:
            raise DocumentError(
                f"invoice {name} {round_money(value, currency)} differs from the document's "
                f"{computed[name]}"
            )


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _vat_id(data: Mapping[str, Any]) -> str | None:
    value = _text(data, "vat_id")
    return normalize_vat_id(value) if value else None


def _electronic_address(data: Mapping[str, Any]) -> ElectronicAddress | None:
    endpoint, scheme = _text(data, "peppol_endpoint_id"), _text(data, "peppol_scheme")
    if endpoint and scheme:
        return ElectronicAddress(value=endpoint, scheme=scheme)
    email = _text(data, "email")
    return ElectronicAddress(value=email, scheme="EM") if email else None


def _contact(data: Mapping[str, Any]) -> Contact | None:
    name, phone, email = _text(data, "contact_name"), _text(data, "phone"), _text(data, "email")
    if not (name or phone or email):
        return None
    return Contact(name=name, phone=phone, email=email)


def _seller_party(seller: Mapping[str, Any]) -> Party:
    return Party(
        name=_text(seller, "legal_name"),
        trading_name=_text(seller, "trading_name"),
        address=PostalAddress(
            line1=_text(seller, "address_line1"),
            line2=_text(seller, "address_line2"),
            city=_text(seller, "city"),
            postal_code=_text(seller, "postal_code"),
            country_code=_text(seller, "country_code"),
        ),
        vat_id=_vat_id(seller),
        tax_registration_id=_text(seller, "tax_number"),
        legal_registration_id=_text(seller, "registration_id"),
        electronic_address=_electronic_address(seller),
        contact=_contact(seller),
    )


def _buyer_party(buyer: Mapping[str, Any]) -> Party:
    return Party(
        name=_text(buyer, "name"),
        address=PostalAddress(
            line1=_text(buyer, "address_line1"),
            line2=_text(buyer, "address_line2"),
            city=_text(buyer, "city"),
            postal_code=_text(buyer, "postal_code"),
            subdivision=_text(buyer, "state"),
            country_code=_text(buyer, "country_code"),
        ),
        vat_id=_vat_id(buyer),
        legal_registration_id=_text(buyer, "legal_registration_id"),
        electronic_address=_electronic_address(buyer),
        contact=_contact(buyer),
    )


def _line(line: InvoiceLine | CreditNoteLine) -> LineInput:
    variant = line.variant_info if isinstance(line, InvoiceLine) else None
    return LineInput(
        id=str(line.position),
        name=line.name,
        description=line.description,
        sku=line.sku,
        note=_variant_note(variant),
        quantity=display_decimal(line.quantity),
        unit_code=line.unit_code,
        unit_price=display_decimal(line.unit_price),
        vat_rate=display_decimal(line.tax_rate, min_places=2),
        vat_category=VatCategory(line.tax_category),
        exemption_reason_code=line.tax_exemption_reason_code,
        exemption_reason=line.tax_exemption_reason,
    )


def _variant_note(variant: Mapping[str, Any] | None) -> str | None:
    if not variant:
        return None
    return ", ".join(f"{key}: {value}" for key, value in variant.items())


def _delivery(
    lines: list[LineInput], *, day: date, buyer: Mapping[str, Any], destination: str | None
) -> Delivery:
    if not any(line.vat_category is VatCategory.INTRA_COMMUNITY for line in lines):
        return Delivery(date=day)
    country = destination or _text(buyer, "country_code")
    address = None
    if country and country == _text(buyer, "country_code"):
        address = _buyer_party(buyer).address
    elif country:
        address = PostalAddress(country_code=country)
    return Delivery(date=day, address=address)


def _payment(
    currency: str, reference: str | None, seller: Mapping[str, Any]
) -> PaymentInstructions | None:
    iban = _text(seller, "iban")
    if iban is None:
        return None
    return PaymentInstructions(
        means_code="58" if currency == SEPA_CURRENCY else "30",
        remittance_information=reference,
        iban=iban.replace(" ", ""),
        account_name=_text(seller, "legal_name") or _text(seller, "trading_name"),
        bic=_text(seller, "bic"),
        bank_name=_text(seller, "bank_name"),
    )
