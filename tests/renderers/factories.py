"""Invoice documents for the renderer tests, built through the public builder.

``complete_document`` satisfies every format (EN 16931, Peppol BIS 3.0, XRechnung 3.0);
``MATRIX`` holds the named invoices every XML output must validate for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from billing.renderers import (
    Contact,
    Delivery,
    ElectronicAddress,
    InvoiceDocument,
    LineInput,
    Party,
    PaymentInstructions,
    Period,
    PostalAddress,
    PrecedingInvoice,
    VatCategory,
    build_document,
)

ISSUE_DATE = dt.date(2026, 5, 1)
DUE_DATE = dt.date(2026, 5, 15)
PUBLIC_URL = "https://billing.example.com/i/7f3c2a9e-1b2d-4c5e-9f00-123456789abc"
# GS1 numbers with valid check digits (PEPPOL-COMMON-R040), for parties without a VAT scheme.
GLN_SELLER = "4000001000005"
GLN_BUYER = "5790000436057"


def seller(**overrides: Any) -> Party:
    """A German seller with everything XRechnung and Peppol ask for."""
    fields: dict[str, Any] = {
        "name": "Müller & Dvořák GmbH",
        "trading_name": "Łódź Cloud",
        "address": PostalAddress(
            line1="Hauptstraße 1", city="Berlin", postal_code="10115", country_code="DE"
        ),
        "vat_id": "DE123456789",
        "tax_registration_id": "27/123/45678",
        "legal_registration_id": "HRB 12345",
        "electronic_address": ElectronicAddress(value="billing@seller.example", scheme="EM"),
        "contact": Contact(
            name="Anna Schmidt", phone="+49 30 1234567", email="anna@seller.example"
        ),
    }
    fields.update(overrides)
    return Party(**fields)


def buyer(**overrides: Any) -> Party:
    """A French business buyer with a VAT id and a Peppol e-mail endpoint."""
    fields: dict[str, Any] = {
        "name": "Équipe Rivière SARL",
        "address": PostalAddress(
            line1="12 rue de la Paix", city="Paris", postal_code="75002", country_code="FR"
        ),
        "vat_id": "FR40303265045",
        "electronic_address": ElectronicAddress(value="ap@buyer.example", scheme="EM"),
        "contact": Contact(name="Claire", email="claire@buyer.example"),
    }
    fields.update(overrides)
    return Party(**fields)


def sepa(**overrides: Any) -> PaymentInstructions:
    """SEPA credit transfer instructions."""
    fields: dict[str, Any] = {
        "means_code": "58",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "account_name": "Müller & Dvořák GmbH",
        "bank_name": "Commerzbank",
        "remittance_information": "INV-2026-00042",
    }
    fields.update(overrides)
    return PaymentInstructions(**fields)


def line(
    name: str = "Hosting plan",
    quantity: str | int = 1,
    unit_price: str = "100.00",
    rate: str | int = 19,
    category: VatCategory = VatCategory.STANDARD,
    **extra: Any,
) -> LineInput:
    """One line input; strings keep the decimals exact."""
    return LineInput(
        name=name,
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        vat_rate=Decimal(rate),
        vat_category=category,
        **extra,
    )


def complete_document(
    lines: Sequence[LineInput] | None = None,
    **overrides: Any,
) -> InvoiceDocument:
    """An invoice that every format accepts; ``overrides`` go to ``build_document``."""
    arguments: dict[str, Any] = {
        "number": "INV-2026-00042",
        "issue_date": ISSUE_DATE,
        "due_date": DUE_DATE,
        "currency": "EUR",
        "seller": seller(),
        "buyer": buyer(),
        "lines": lines if lines is not None else [line()],
        "buyer_reference": "04011000-12345-34",
        "purchase_order_reference": "PO-7781",
        "payment": sepa(),
        "payment_terms": "Payable within 14 days without deduction.",
        "notes": ["Thank you for your business.", "Prices in EUR."],
        "public_url": PUBLIC_URL,
        "payment_methods": ["Bank transfer", "Card"],
        # The service gives every invoice its date of supply (BT-72), as here.
        "delivery": Delivery(date=ISSUE_DATE),
    }
    arguments.update(overrides)
    return build_document(**arguments)


def _exempt(category: VatCategory, code: str, text: str, **extra: Any) -> LineInput:
    return line(
        name=f"{category.value} service",
        unit_price="250.00",
        rate=0,
        category=category,
        exemption_reason_code=code,
        exemption_reason=text,
        **extra,
    )


def single_rate() -> InvoiceDocument:
    return complete_document()


def mixed_rates_with_discount_and_charge() -> InvoiceDocument:
    return complete_document(
        [
            line("Server rental", 2, "149.99", 19),
            line("Handbook", 3, "12.49", 7),
            line("Support hours", "7.5", "85.00", 19, unit_code="HUR"),
            line("Bread", 1, "3.33", 7),
        ],
        discount="25.00",
        charge="9.90",
        charge_reason="Shipping",
        charge_reason_code="FC",
    )


def zero_rated() -> InvoiceDocument:
    return complete_document([line("Books for schools", 10, "20.00", 0, VatCategory.ZERO_RATED)])


def exempt() -> InvoiceDocument:
    return complete_document(
        [
            line("Consulting", 1, "500.00", 19),
            _exempt(VatCategory.EXEMPT, "VATEX-EU-132-1I", "Exempt education service"),
        ]
    )


def reverse_charge() -> InvoiceDocument:
    return complete_document([_exempt(VatCategory.REVERSE_CHARGE, "VATEX-EU-AE", "Reverse charge")])


def intra_community() -> InvoiceDocument:
    return complete_document(
        [_exempt(VatCategory.INTRA_COMMUNITY, "VATEX-EU-IC", "Intra-Community supply")],
        delivery=Delivery(
            date=dt.date(2026, 4, 28),
            party_name="Équipe Rivière entrepôt",
            address=PostalAddress(city="Lyon", postal_code="69001", country_code="FR"),
        ),
    )


def export() -> InvoiceDocument:
    return complete_document(
        [_exempt(VatCategory.EXPORT, "VATEX-EU-G", "Export outside the EU")],
        buyer=buyer(
            name="Acme Inc.",
            vat_id=None,
            address=PostalAddress(
                line1="1 Main St", city="Springfield", postal_code="62701", country_code="US"
            ),
            # No EU VAT id, so no Peppol VAT scheme: the buyer's Peppol id is its GLN.
            electronic_address=ElectronicAddress(value=GLN_BUYER, scheme="0088"),
        ),
    )


def outside_scope() -> InvoiceDocument:
    return complete_document(
        [_exempt(VatCategory.OUTSIDE_SCOPE, "VATEX-EU-O", "Not subject to VAT")],
    )


def many_lines(count: int = 300) -> InvoiceDocument:
    return complete_document(
        [
            line(
                f"Usage item {index:03d}",
                quantity=index % 7 + 1,
                unit_price=f"{index % 50 + 1}.{index % 100:02d}",
                rate=19 if index % 3 else 7,
                sku=f"SKU-{index:05d}",
                description="Metered usage" if index % 10 == 0 else None,
            )
            for index in range(count)
        ],
        discount="100.00",
    )


def precise_quantities() -> InvoiceDocument:
    return complete_document(
        [
            line("Storage (GB-month)", "1.5", "0.1234", 19, unit_code="E34"),
            line("Bandwidth (GB)", "1234.567", "0.0125", 19, unit_code="E34"),
            line("CPU hours", "0.333", "2.4567", 7, unit_code="HUR"),
            line("Licence", 3, "99.9999", 19),
        ],
        discount="1.23",
    )


def kenyan_shillings() -> InvoiceDocument:
    kenya = PostalAddress(
        line1="Moi Avenue 10", city="Nairobi", postal_code="00100", country_code="KE"
    )
    return complete_document(
        [line("Fibre 20 Mbps (May)", 1, "2999.00", 16), line("Router rental", 1, "500.00", 16)],
        currency="KES",
        seller=seller(
            name="Kilimani Net Ltd",
            trading_name="KiliNet",
            address=kenya,
            vat_id="KEP051234567X",
            tax_registration_id=None,
            electronic_address=ElectronicAddress(value=GLN_SELLER, scheme="0088"),
        ),
        buyer=buyer(
            name="Wanjiku Kamau",
            vat_id=None,
            address=PostalAddress(city="Mombasa", postal_code="80100", country_code="KE"),
            electronic_address=ElectronicAddress(value=GLN_BUYER, scheme="0088"),
        ),
        payment=PaymentInstructions(
            means_code="30", iban="1234567890", account_name="Kilimani Net Ltd", bank_name="KCB"
        ),
        payment_methods=["M-Pesa", "Card", "Cash"],
        amount_paid="1000.00",
    )


def yen() -> InvoiceDocument:
    return complete_document(
        [line("Domain renewal", 3, "1500", 10), line("SSL certificate", 1, "9800", 10)],
        currency="JPY",
        discount="500",
    )


def credit_note() -> InvoiceDocument:
    return complete_document(
        [line("Refund: hosting plan", 1, "100.00", 19)],
        number="CN-2026-00003",
        type_code="381",
        preceding_invoices=[PrecedingInvoice(number="INV-2026-00042", issue_date=ISSUE_DATE)],
    )


def prepaid_with_period() -> InvoiceDocument:
    return complete_document(
        [
            line(
                "Subscription May",
                1,
                "49.00",
                19,
                period=Period(start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31)),
            )
        ],
        invoicing_period=Period(start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31)),
        prepaid="20.00",
    )


def direct_debit() -> InvoiceDocument:
    return complete_document(
        payment=PaymentInstructions(
            means_code="59",
            mandate_reference="MANDATE-0001",
            creditor_reference="DE98ZZZ09999999999",
            debited_account="FR7630006000011234567890189",
        )
    )


def german_buyer(**overrides: Any) -> Party:
    """A German business buyer (German national rules apply between German parties)."""
    fields: dict[str, Any] = {
        "name": "Kunde AG",
        "address": PostalAddress(
            line1="Marktplatz 5", city="München", postal_code="80331", country_code="DE"
        ),
        "vat_id": "DE987654321",
        **overrides,
    }
    return buyer(**fields)


def corrected_invoice() -> InvoiceDocument:
    # Peppol allows type 384 between German parties only (PEPPOL-EN16931-P0112).
    return complete_document(
        [line("Hosting plan (corrected)", 1, "90.00", 19)],
        buyer=german_buyer(),
        number="INV-2026-00043",
        type_code="384",
        preceding_invoices=[PrecedingInvoice(number="INV-2026-00042", issue_date=ISSUE_DATE)],
    )


def card_payment_with_return() -> InvoiceDocument:
    return complete_document(
        [line("Router", 2, "89.90", 19), line("Returned router", -1, "89.90", 19)],
        payment=PaymentInstructions(
            means_code="48", card_number="1234", card_holder="Claire Rivière", card_network="VISA"
        ),
    )


def zero_and_standard_with_discount() -> InvoiceDocument:
    return complete_document(
        [line("Schoolbooks", 4, "12.50", 0, VatCategory.ZERO_RATED), line("Bag", 1, "30.00", 19)],
        discount="5.00",
        charge="2.50",
        payment=PaymentInstructions(means_code="10"),
    )


MATRIX: dict[str, Callable[[], InvoiceDocument]] = {
    "single_rate": single_rate,
    "mixed_rates_discount_charge": mixed_rates_with_discount_and_charge,
    "zero_rated_Z": zero_rated,
    "exempt_E": exempt,
    "reverse_charge_AE": reverse_charge,
    "intra_community_K": intra_community,
    "export_G": export,
    "outside_scope_O": outside_scope,
    "many_lines_300": many_lines,
    "precise_quantities": precise_quantities,
    "kes": kenyan_shillings,
    "jpy": yen,
    "credit_note_381": credit_note,
    "prepaid_and_periods": prepaid_with_period,
    "direct_debit": direct_debit,
    "corrected_384": corrected_invoice,
    "card_and_negative_quantity": card_payment_with_return,
    "zero_and_standard_cash": zero_and_standard_with_discount,
}
