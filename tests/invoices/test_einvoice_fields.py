"""E-invoice field names in plain words, each field once."""

from __future__ import annotations

import pytest

from billing.invoices.einvoice_fields import group_by_field, plain_words
from billing.renderers import MissingField


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("seller.contact.name", "seller contact name"),
        ("seller.address.postal_code", "seller post code"),
        ("seller.vat_id", "seller VAT identifier"),
        ("items[2].exemption_reason", "line 3 exemption reason"),
        ("payment", "payment instructions"),
        ("buyer.electronic_address", "buyer electronic address"),
    ],
)
def test_plain_words(field: str, words: str) -> None:
    assert plain_words(field) == words


def test_each_field_once_with_all_its_rules() -> None:
    grouped = group_by_field(
        [
            MissingField("seller.vat_id", "BT-31", "BR-CO-26", "give the VAT id"),
            MissingField("seller.contact", "BG-6", "BR-DE-2", "the contact is required"),
            MissingField("seller.contact.name", "BT-41", "BR-DE-5", "name required"),
            MissingField("seller.vat_id", "BT-31", "BR-S-02", "category S needs it"),
        ]
    )
    assert [item.field for item in grouped] == ["seller.vat_id", "seller.contact.name"]
    assert grouped[0].as_dict() == {
        "field": "seller.vat_id",
        "label": "seller VAT identifier",
        "term": "BT-31",
        "rule": "BR-CO-26",
        "rules": ["BR-CO-26", "BR-S-02"],
        "message": "give the VAT id; category S needs it",
    }
