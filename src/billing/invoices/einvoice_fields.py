"""E-invoice fields in plain words, and the seller setting behind each seller field.

The completeness checks name fields as the API does (``seller.contact.name``,
``items[2].exemption_reason``); people read "seller contact name" and "line 3 exemption
reason". Several EN 16931 rules can ask for one field (BR-CO-26 and BR-S-02 both want the
seller VAT identifier); ``group_by_field`` lists each field once with all of its rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from billing.renderers import MissingField

_WORDS = {
    "vat_id": "VAT identifier",
    "postal_code": "post code",
    "country_code": "country",
    "name": "name",
    "email": "e-mail",
    "iban": "IBAN",
    "legal_registration_id": "legal registration identifier",
    "legal_registration_scheme": "legal registration scheme",
    "electronic_address": "electronic address",
    "buyer_reference": "buyer reference",
    "due_date": "due date",
    "payment_terms": "payment terms",
    "payment": "payment instructions",
    "means_code": "payment means code",
    "card_number": "card number",
    "mandate_reference": "mandate reference",
    "creditor_reference": "creditor identifier",
    "debited_account": "debited account",
    "exemption_reason": "exemption reason",
    "exemption_reason_code": "exemption reason code",
    "tax_category": "VAT category",
    "tax_rate": "VAT rate",
    "unit_code": "unit code",
    "unit_price": "unit price",
}
# Segments that only group others: "seller.address.city" is simply the seller's city.
_SILENT = {"address"}
_ITEM = re.compile(r"^items\[(\d+)\]$")

SELLER_SETTINGS: dict[str, str] = {
    "seller.name": "legal_name",
    "seller.address.country_code": "country_code",
    "seller.address.city": "city",
    "seller.address.postal_code": "postal_code",
    "seller.vat_id": "vat_id",
    "seller.legal_registration_id": "registration_id",
    "seller.electronic_address": "peppol_endpoint_id",
    "seller.electronic_address.scheme": "peppol_scheme",
    "seller.contact": "contact_name",
    "seller.contact.name": "contact_name",
    "seller.contact.phone": "phone",
    "seller.contact.email": "email",
    # Payment instructions are built from the seller's bank account.
    "payment": "iban",
    "payment.iban": "iban",
}
"""Completeness field -> the ``seller`` settings field that fills it."""


def plain_words(field: str) -> str:
    """``seller.contact.name`` -> ``seller contact name``; ``items[0].name`` -> ``line 1 name``."""
    words: list[str] = []
    for segment in field.split("."):
        item = _ITEM.match(segment)
        if item:
            words.append(f"line {int(item.group(1)) + 1}")
        elif segment not in _SILENT:
            words.append(_WORDS.get(segment, segment.replace("_", " ")))
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class FieldProblems:
    """Everything said about one field: its plain name, term, rules and explanations."""

    field: str
    label: str
    term: str
    rules: tuple[str, ...]
    messages: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of one entry of an error's ``details``."""
        return {
            "field": self.field,
            "label": self.label,
            "term": self.term,
            "rule": self.rules[0],
            "rules": list(self.rules),
            "message": "; ".join(self.messages),
        }


def group_by_field(missing: Iterable[MissingField]) -> list[FieldProblems]:
    """One entry per field, in the order fields first appear; a bare ``seller.contact`` is
    dropped when the contact's own fields are listed."""
    grouped: dict[str, list[MissingField]] = {}
    for item in missing:
        grouped.setdefault(item.field, []).append(item)
    fields = list(grouped)
    result = []
    for field in fields:
        if any(other.startswith(f"{field}.") for other in fields):
            continue
        items = grouped[field]
        result.append(
            FieldProblems(
                field=field,
                label=plain_words(field),
                term=items[0].term,
                rules=tuple(dict.fromkeys(item.rule for item in items)),
                messages=tuple(dict.fromkeys(item.message for item in items)),
            )
        )
    return result
