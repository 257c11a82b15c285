"""Printed labels and number formats of the PDF, per language.

English, French, German and Kinyarwanda are translated; any other language (``sw``, ...)
falls back to English so a render never fails on a language code.
"""

from __future__ import annotations

from decimal import Decimal

from billing.core.money import minor_unit, round_money

STATUS_LABELS = {
    "en": {
        "status_draft": "Draft",
        "status_issued": "Issued",
        "status_sent": "Sent",
        "status_paid": "Paid",
        "status_overdue": "Overdue",
        "status_cancelled": "Cancelled",
    },
    "fr": {
        "status_draft": "Brouillon",
        "status_issued": "Émise",
        "status_sent": "Envoyée",
        "status_paid": "Payée",
        "status_overdue": "En retard",
        "status_cancelled": "Annulée",
    },
    "de": {
        "status_draft": "Entwurf",
        "status_issued": "Ausgestellt",
        "status_sent": "Versendet",
        "status_paid": "Bezahlt",
        "status_overdue": "Überfällig",
        "status_cancelled": "Storniert",
    },
    "rw": {
        "status_draft": "Imbanziriza",
        "status_issued": "Yatanzwe",
        "status_sent": "Yoherejwe",
        "status_paid": "Yishyuwe",
        "status_overdue": "Yarengeje igihe",
        "status_cancelled": "Yahagaritswe",
    },
}
"""Invoice statuses in each language, for the rendered documents and the public page."""

_EN = {
    "invoice": "Invoice",
    "credit_note": "Credit note",
    "corrected_invoice": "Corrected invoice",
    "number": "Number",
    "issue_date": "Issue date",
    "due_date": "Due date",
    "status": "Status",
    "bill_to": "Bill to",
    "details": "Details",
    "buyer_reference": "Your reference",
    "order_reference": "Purchase order",
    "preceding_invoice": "Corrects invoice",
    "period": "Period",
    "delivery_date": "Delivery date",
    "deliver_to": "Deliver to",
    "vat_id": "VAT ID",
    "tax_number": "Tax number",
    "registration": "Registration",
    "col_number": "#",
    "col_item": "Item",
    "col_quantity": "Qty",
    "col_unit_price": "Unit price",
    "col_vat": "VAT",
    "col_amount": "Amount",
    "sku": "SKU",
    "vat_breakdown": "VAT breakdown",
    "category": "Category",
    "rate": "Rate",
    "taxable": "Taxable amount",
    "tax": "VAT",
    "subtotal": "Subtotal",
    "discount": "Discount",
    "charge": "Charge",
    "net_total": "Total excl. VAT",
    "vat_total": "VAT",
    "total": "Total",
    "prepaid": "Prepaid",
    "amount_due": "Amount due",
    "amount_paid": "Amount paid",
    "amount_credited": "Credited",
    "balance": "Balance due",
    "payment": "Payment",
    "payment_terms": "Payment terms",
    "how_to_pay": "How to pay",
    "account_name": "Account holder",
    "iban": "Account / IBAN",
    "bic": "BIC",
    "bank": "Bank",
    "reference": "Reference",
    "mandate": "Mandate reference",
    "card": "Card",
    "notes": "Notes",
    "exemption": "VAT exemption",
    "scan_to_view": "Scan to view and pay online",
    "page": "Page {page} of {pages}",
    "draft": "DRAFT",
    "contact": "Contact",
    **STATUS_LABELS["en"],
}

_FR = {
    **_EN,
    "invoice": "Facture",
    "credit_note": "Avoir",
    "corrected_invoice": "Facture rectificative",
    "number": "Numéro",
    "issue_date": "Date d'émission",
    "due_date": "Échéance",
    "status": "Statut",
    "bill_to": "Facturé à",
    "details": "Détails",
    "buyer_reference": "Votre référence",
    "order_reference": "Bon de commande",
    "preceding_invoice": "Rectifie la facture",
    "period": "Période",
    "delivery_date": "Date de livraison",
    "deliver_to": "Livré à",
    "vat_id": "N° TVA",
    "tax_number": "N° fiscal",
    "registration": "Immatriculation",
    "col_item": "Article",
    "col_quantity": "Qté",
    "col_unit_price": "Prix unitaire",
    "col_vat": "TVA",
    "col_amount": "Montant",
    "vat_breakdown": "Détail de la TVA",
    "category": "Catégorie",
    "rate": "Taux",
    "taxable": "Base imposable",
    "tax": "TVA",
    "subtotal": "Sous-total",
    "discount": "Remise",
    "charge": "Frais",
    "net_total": "Total HT",
    "vat_total": "TVA",
    "total": "Total TTC",
    "prepaid": "Acompte",
    "amount_due": "Montant dû",
    "amount_paid": "Montant payé",
    "amount_credited": "Avoirs",
    "balance": "Solde dû",
    "payment": "Paiement",
    "payment_terms": "Conditions de paiement",
    "how_to_pay": "Comment payer",
    "account_name": "Titulaire",
    "iban": "Compte / IBAN",
    "bank": "Banque",
    "reference": "Référence",
    "mandate": "Référence du mandat",
    "card": "Carte",
    "notes": "Notes",
    "exemption": "Exonération de TVA",
    "scan_to_view": "Scannez pour consulter et payer en ligne",
    "page": "Page {page} sur {pages}",
    "draft": "BROUILLON",
    "contact": "Contact",
    **STATUS_LABELS["fr"],
}

_DE = {
    **_EN,
    "invoice": "Rechnung",
    "credit_note": "Gutschrift",
    "corrected_invoice": "Rechnungskorrektur",
    "number": "Nummer",
    "issue_date": "Rechnungsdatum",
    "due_date": "Fällig am",
    "status": "Status",
    "bill_to": "Rechnungsempfänger",
    "details": "Angaben",
    "buyer_reference": "Ihre Referenz",
    "order_reference": "Bestellnummer",
    "preceding_invoice": "Korrigiert Rechnung",
    "period": "Leistungszeitraum",
    "delivery_date": "Lieferdatum",
    "deliver_to": "Lieferanschrift",
    "vat_id": "USt-IdNr.",
    "tax_number": "Steuernummer",
    "registration": "Handelsregister",
    "col_item": "Position",
    "col_quantity": "Menge",
    "col_unit_price": "Einzelpreis",
    "col_vat": "USt.",
    "col_amount": "Betrag",
    "sku": "Art.-Nr.",
    "vat_breakdown": "Umsatzsteuer",
    "category": "Kategorie",
    "rate": "Satz",
    "taxable": "Bemessungsgrundlage",
    "tax": "USt.",
    "subtotal": "Zwischensumme",
    "discount": "Rabatt",
    "charge": "Zuschlag",
    "net_total": "Summe netto",
    "vat_total": "Umsatzsteuer",
    "total": "Gesamtbetrag",
    "prepaid": "Anzahlung",
    "amount_due": "Zahlbetrag",
    "amount_paid": "Bezahlt",
    "amount_credited": "Gutschriften",
    "balance": "Offener Betrag",
    "payment": "Zahlung",
    "payment_terms": "Zahlungsbedingungen",
    "how_to_pay": "So können Sie zahlen",
    "account_name": "Kontoinhaber",
    "iban": "Konto / IBAN",
    "bank": "Bank",
    "reference": "Verwendungszweck",
    "mandate": "Mandatsreferenz",
    "card": "Karte",
    "notes": "Hinweise",
    "exemption": "Steuerbefreiung",
    "scan_to_view": "Scannen, um online anzusehen und zu bezahlen",
    "page": "Seite {page} von {pages}",
    "draft": "ENTWURF",
    "contact": "Kontakt",
    **STATUS_LABELS["de"],
}

_RW = {
    **_EN,
    "invoice": "Fagitire",
    "credit_note": "Inyandiko y'igabanywa",
    "corrected_invoice": "Fagitire ikosoye",
    "number": "Nomero",
    "issue_date": "Itariki yatangiweho",
    "due_date": "Itariki ntarengwa yo kwishyura",
    "status": "Imiterere",
    "bill_to": "Yishyurwa na",
    "details": "Ibisobanuro",
    "buyer_reference": "Indango yanyu",
    "order_reference": "Itegeko ry'ubuguzi",
    "preceding_invoice": "Ikosora fagitire",
    "period": "Igihe",
    "delivery_date": "Itariki yo kugeza",
    "deliver_to": "Bigezwa kuri",
    "vat_id": "Nomero ya TVA",
    "tax_number": "Nomero y'umusoro (TIN)",
    "registration": "Iyandikwa",
    "col_item": "Igicuruzwa",
    "col_quantity": "Ingano",
    "col_unit_price": "Igiciro kimwe",
    "col_vat": "TVA",
    "col_amount": "Amafaranga",
    "sku": "Kode",
    "vat_breakdown": "Isesengura rya TVA",
    "category": "Icyiciro",
    "rate": "Igipimo",
    "taxable": "Amafaranga asoreshwa",
    "tax": "TVA",
    "subtotal": "Igiteranyo gito",
    "discount": "Igabanyirizwa",
    "charge": "Ikiguzi cy'inyongera",
    "net_total": "Igiteranyo hatarimo TVA",
    "vat_total": "TVA",
    "total": "Igiteranyo",
    "prepaid": "Ayishyuwe mbere",
    "amount_due": "Amafaranga yo kwishyura",
    "amount_paid": "Amafaranga yishyuwe",
    "balance": "Asigaye kwishyurwa",
    "payment": "Kwishyura",
    "payment_terms": "Amabwiriza yo kwishyura",
    "how_to_pay": "Uko wakwishyura",
    "account_name": "Nyir'konti",
    "iban": "Konti / IBAN",
    "bic": "BIC",
    "bank": "Banki",
    "reference": "Indango",
    "mandate": "Indango y'uruhushya",
    "card": "Ikarita",
    "notes": "Icyitonderwa",
    "exemption": "Gusonerwa TVA",
    "scan_to_view": "Sikana urebe kandi wishyure kuri interineti",
    "page": "Urupapuro {page} kuri {pages}",
    "draft": "IMBANZIRIZA",
    "contact": "Aho tubarizwa",
    **STATUS_LABELS["rw"],
}

LABELS: dict[str, dict[str, str]] = {"en": _EN, "fr": _FR, "de": _DE, "rw": _RW}

# (thousands separator, decimal separator) per language.
_SEPARATORS = {"en": (",", "."), "fr": ("\u202f", ","), "de": (".", ","), "rw": (",", ".")}

CURRENCY_SYMBOLS = {
    "EUR": "€",
    "GBP": "£",
    "USD": "$",
    "KES": "KSh",
    "JPY": "¥",
    "RWF": "FRw",
    "UGX": "USh",
    "TZS": "TSh",
    "NGN": "₦",
    "ZAR": "R",
    "INR": "₹",
    "CHF": "CHF",
}

MEANS_NAMES = {
    "1": "Not defined",
    "10": "Cash",
    "20": "Cheque",
    "30": "Credit transfer",
    "31": "Debit transfer",
    "42": "Payment to bank account",
    "48": "Bank card",
    "49": "Direct debit",
    "54": "Credit card",
    "55": "Debit card",
    "57": "Standing agreement",
    "58": "SEPA credit transfer",
    "59": "SEPA direct debit",
    "68": "Online payment service",
    "97": "Clearing between partners",
    "ZZZ": "Mutually defined",
}

UNIT_NAMES = {
    "C62": "",
    "H87": "pc",
    "EA": "ea",
    "HUR": "h",
    "MIN": "min",
    "DAY": "d",
    "WEE": "wk",
    "MON": "mo",
    "ANN": "yr",
    "KGM": "kg",
    "GRM": "g",
    "MTR": "m",
    "KMT": "km",
    "LTR": "l",
    "MTK": "m²",
    "KWH": "kWh",
    "GB": "GB",
    "E34": "GB",
    "MBT": "Mbit",
}


def labels_for(language: str) -> dict[str, str]:
    """The label set of a language (``de-AT`` uses ``de``), English by default."""
    return LABELS.get(language.split("-")[0].split("_")[0].lower(), _EN)


def _group(integer: str, separator: str) -> str:
    head, rest = integer[: len(integer) % 3 or 3], integer[len(integer) % 3 or 3 :]
    parts = [head] + [rest[i : i + 3] for i in range(0, len(rest), 3)]
    return separator.join(parts)


def format_number(value: Decimal, decimals: int, language: str) -> str:
    """``1234.5`` with 2 decimals: ``1,234.50`` (en), ``1.234,50`` (de), ``1 234,50`` (fr)."""
    thousands, point = _SEPARATORS.get(language.split("-")[0].lower(), _SEPARATORS["en"])
    text = f"{abs(value):.{decimals}f}"
    integer, _, fraction = text.partition(".")
    body = _group(integer, thousands) + (point + fraction if fraction else "")
    return f"-{body}" if value < 0 else body


def format_money(value: Decimal, currency: str, language: str) -> str:
    """An amount rounded to the currency with its symbol: ``€ 1,234.50``, ``KSh 500.00``."""
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    number = format_number(round_money(value, currency), minor_unit(currency), language)
    if number.startswith("-"):
        return f"-{symbol}\u00a0{number[1:]}"
    return f"{symbol}\u00a0{number}"


def format_price(value: Decimal, currency: str, language: str) -> str:
    """A unit price: the currency's decimals, or more when the price carries more (``7.1234``)."""
    exponent = value.normalize().as_tuple().exponent
    given = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    decimals = max(minor_unit(currency), min(given, 6))
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    return f"{symbol}\u00a0{format_number(value, decimals, language)}"


def format_quantity(value: Decimal, unit_code: str, language: str) -> str:
    """``1.5 h``, ``3`` (pieces print without a unit)."""
    exponent = value.normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    number = format_number(value, decimals, language)
    unit = UNIT_NAMES.get(unit_code, unit_code)
    return f"{number}\u00a0{unit}" if unit else number


def format_rate(value: Decimal, language: str) -> str:
    """``19 %``, ``7.5 %`` (``7,5 %`` in German)."""
    exponent = value.normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return f"{format_number(value, decimals, language)}\u00a0%"
