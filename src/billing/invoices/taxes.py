"""Choosing and checking a line's VAT: rate, EN 16931 category and exemption reason."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billing.core.totals import VatCategory
from billing.invoices.errors import InvoiceInvalid
from billing.models.catalog import TaxRate

EU_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class LineTax:
    """The VAT of one line."""

    rate: Decimal
    category: VatCategory
    reason_code: str | None = None
    reason: str | None = None

    @classmethod
    def of(cls, tax_rate: TaxRate) -> LineTax:
        """The VAT a catalogue tax rate stands for."""
        return cls(
            rate=tax_rate.rate,
            category=VatCategory(tax_rate.category),
            reason_code=tax_rate.exemption_reason_code,
            reason=tax_rate.exemption_reason,
        )

    @classmethod
    def standard(cls, rate: Decimal) -> LineTax:
        """The default rate: standard-rated, or zero-rated when the rate is 0."""
        return cls(rate=rate, category=VatCategory.STANDARD if rate > 0 else VatCategory.ZERO_RATED)


def destination_tax(
    *, seller_country: str | None, destination: str | None, buyer_vat_id: str | None
) -> LineTax | None:
    """VAT chosen by where the supply goes, for an EU seller; ``None`` keeps the default.

    Another EU country with a buyer VAT id: intra-community supply (K, 0 %, VATEX-EU-IC).
    Outside the EU: export (G, 0 %, VATEX-EU-G).
    """
    if not seller_country or not destination or seller_country not in EU_COUNTRIES:
        return None
    if destination == seller_country:
        return None
    if destination in EU_COUNTRIES:
        if not buyer_vat_id:
            return None
        return LineTax(ZERO, VatCategory.INTRA_COMMUNITY, "VATEX-EU-IC", "Intra-Community supply")
    return LineTax(ZERO, VatCategory.EXPORT, "VATEX-EU-G", "Export outside the EU")


def check_line_tax(tax: LineTax, *, position: int) -> None:
    """EN 16931 rules a line's VAT must meet before it can be invoiced.

    S needs a positive rate; every other category is 0 %. E, AE, K, G and O need an exemption
    reason (BR-E-10 ...); S and Z must not carry one (BR-S-10, BR-Z-10).
    """
    where = f"items[{position}]"
    if tax.category is VatCategory.STANDARD and tax.rate <= 0:
        raise InvoiceInvalid(f"{where}: category S needs a rate above 0")
    if tax.category is not VatCategory.STANDARD and tax.rate != 0:
        raise InvoiceInvalid(f"{where}: category {tax.category.value} must have a 0 % rate")
    has_reason = bool(tax.reason_code or tax.reason)
    if tax.category.needs_exemption_reason and not has_reason:
        raise InvoiceInvalid(
            f"{where}: category {tax.category.value} needs tax_exemption_reason_code "
            "or tax_exemption_reason"
        )
    if not tax.category.needs_exemption_reason and has_reason:
        raise InvoiceInvalid(
            f"{where}: category {tax.category.value} must not carry an exemption reason"
        )
