"""The EN 16931 semantic model of one invoice: the frozen snapshot every renderer reads.

Each field names the EN 16931-1 business term (BT-n) or group (BG-n) it carries, so the
syntax writers (UBL, CII) and the completeness check speak the same language as the rule
sets. Amounts are ``Decimal`` rounded to the currency's minor unit; unit prices and
quantities keep the precision they were given.

A document is always internally consistent: ``build_document`` runs the one totals engine
(``billing.core.totals.compute_totals``) and the model re-checks on construction that lines,
allowances, VAT breakdown and totals agree with that engine, so a snapshot read back from
JSON cannot carry totals that differ from its lines.

Fields marked *presentation* are used by the PDF only and never reach the XML.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from billing.core.money import ZERO, UnknownCurrencyError, normalize_currency, round_money
from billing.core.totals import (
    GroupAllowance,
    TaxableLine,
    Totals,
    TotalsError,
    VatCategory,
    compute_totals,
)
from billing.renderers.errors import DocumentError

__all__ = [
    "STANDARD_EXEMPTION_REASONS",
    "Contact",
    "Delivery",
    "DocumentAllowanceCharge",
    "DocumentStatus",
    "DocumentTotals",
    "ElectronicAddress",
    "InvoiceDocument",
    "InvoiceLine",
    "InvoiceTypeCode",
    "LineInput",
    "Party",
    "PaymentInstructions",
    "Period",
    "PostalAddress",
    "PrecedingInvoice",
    "VatBreakdown",
    "VatCategory",
    "build_document",
]


def _blank_to_none(value: object) -> object:
    # Empty strings would become empty XML elements, which Peppol rejects (PEPPOL-EN16931-R008);
    # normalising them to None at the boundary keeps every writer simple.
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return value


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _multiline(value: object) -> object:
    # Line breaks carry meaning in BT-20: XRechnung's cash discount lines (#SKONTO#...#) must
    # each be followed by one (BR-DE-18), so only spaces and tabs around the text are dropped.
    if isinstance(value, str):
        text = value.replace("\r\n", "\n").strip(" \t")
        return text if text.strip() else None
    return value


def _reject_float(value: object) -> object:
    # Money and quantities are exact: a float has already lost digits before we see it.
    if isinstance(value, float):
        raise ValueError("pass a Decimal, an int or a decimal string, never a float")
    return value


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


OptStr = Annotated[str | None, BeforeValidator(_blank_to_none)]
Str = Annotated[str, BeforeValidator(_strip), Field(min_length=1)]
Dec = Annotated[Decimal, BeforeValidator(_reject_float)]
Code = Annotated[str, BeforeValidator(_upper), Field(min_length=1)]
OptCode = Annotated[str | None, BeforeValidator(_blank_to_none), BeforeValidator(_upper)]
# The model strips every string (``str_strip_whitespace``); this one keeps its line breaks.
Multiline = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=False)] | None,
    BeforeValidator(_multiline),
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class InvoiceTypeCode(StrEnum):
    """BT-3 Invoice type code (UNTDID 1001)."""

    INVOICE = "380"
    CREDIT_NOTE = "381"
    CORRECTED_INVOICE = "384"

    @property
    def is_credit_note(self) -> bool:
        """UBL writes credit notes as a separate ``CreditNote`` document."""
        return self is InvoiceTypeCode.CREDIT_NOTE


class DocumentStatus(StrEnum):
    """Lifecycle status of the invoice (presentation: drafts get a watermark)."""

    DRAFT = "draft"
    ISSUED = "issued"
    SENT = "sent"
    PAID = "paid"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"

    @classmethod
    def parse(cls, value: str | DocumentStatus) -> DocumentStatus:
        """Accept the API's aliases: ``finalized`` is ``issued``, ``void`` is ``cancelled``."""
        if isinstance(value, DocumentStatus):
            return value
        key = value.strip().lower()
        return cls(_STATUS_ALIASES.get(key, key))


_STATUS_ALIASES = {"finalized": "issued", "void": "cancelled", "pending": "issued"}

# Exemption reasons that the rule texts themselves name (BR-AE-10, BR-IC-10, BR-G-10, BR-O-10).
# The builder never fills them in on its own: which reason applies is a tax decision of the
# seller, so the service passes them explicitly (it may use these as its defaults).
STANDARD_EXEMPTION_REASONS: dict[VatCategory, tuple[str, str]] = {
    VatCategory.REVERSE_CHARGE: ("VATEX-EU-AE", "Reverse charge"),
    VatCategory.INTRA_COMMUNITY: ("VATEX-EU-IC", "Intra-Community supply"),
    VatCategory.EXPORT: ("VATEX-EU-G", "Export outside the EU"),
    VatCategory.OUTSIDE_SCOPE: ("VATEX-EU-O", "Not subject to VAT"),
}


class PostalAddress(_Frozen):
    """BG-5 Seller postal address / BG-8 Buyer postal address / BG-15 Deliver to address."""

    line1: OptStr = None  # BT-35 / BT-50 / BT-75
    line2: OptStr = None  # BT-36 / BT-51 / BT-76
    line3: OptStr = None  # BT-162 / BT-163 / BT-165
    city: OptStr = None  # BT-37 / BT-52 / BT-77
    postal_code: OptStr = None  # BT-38 / BT-53 / BT-78
    subdivision: OptStr = None  # BT-39 / BT-54 / BT-79 country subdivision
    country_code: OptCode = None  # BT-40 / BT-55 / BT-80, ISO 3166-1 alpha-2

    def lines(self) -> list[str]:
        """The address as printable lines (street lines, postcode and city, country)."""
        out = [line for line in (self.line1, self.line2, self.line3) if line]
        city = " ".join(part for part in (self.postal_code, self.city) if part)
        if self.subdivision:
            city = f"{city}, {self.subdivision}" if city else self.subdivision
        if city:
            out.append(city)
        if self.country_code:
            out.append(self.country_code)
        return out


class ElectronicAddress(_Frozen):
    """BT-34 Seller / BT-49 Buyer electronic address, with its EAS scheme (BT-34-1 / BT-49-1).

    Examples: ``ElectronicAddress(value="billing@acme.example", scheme="EM")`` (e-mail),
    ``ElectronicAddress(value="DE123456789", scheme="9930")`` (German VAT number), a Peppol
    participant id with scheme ``0088`` (GLN) or ``0204`` (Leitweg-ID).
    """

    value: Str
    scheme: Code


class Contact(_Frozen):
    """BG-6 Seller contact / BG-9 Buyer contact."""

    name: OptStr = None  # BT-41 / BT-56
    phone: OptStr = None  # BT-42 / BT-57
    email: OptStr = None  # BT-43 / BT-58


class Party(_Frozen):
    """BG-4 Seller / BG-7 Buyer.

    ``tax_registration_id`` (BT-32, the local tax number) exists for the seller only; it is
    ignored on the buyer. Every field is optional in the model so that an incomplete party
    still prints as a PDF; ``missing_einvoice_fields`` says what an e-invoice needs.
    """

    name: OptStr = None  # BT-27 / BT-44 legal name
    trading_name: OptStr = None  # BT-28 / BT-45
    address: PostalAddress = Field(default_factory=PostalAddress)  # BG-5 / BG-8
    vat_id: OptStr = None  # BT-31 / BT-48, with ISO 3166 prefix (BR-CO-09)
    tax_registration_id: OptStr = None  # BT-32 (seller only)
    legal_registration_id: OptStr = None  # BT-30 / BT-47
    legal_registration_scheme: OptCode = None  # BT-30-1 / BT-47-1, ISO 6523 ICD
    electronic_address: ElectronicAddress | None = None  # BT-34 / BT-49
    contact: Contact | None = None  # BG-6 / BG-9

    @property
    def display_name(self) -> str:
        """The name to print as branding: the trading name, else the legal name."""
        return self.trading_name or self.name or ""


class Period(_Frozen):
    """BG-14 Invoicing period / BG-26 Invoice line period."""

    start: dt.date | None = None  # BT-73 / BT-134
    end: dt.date | None = None  # BT-74 / BT-135

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start is None and self.end is None:
            raise ValueError("a period needs a start or an end date (BR-CO-19 / BR-CO-20)")
        if self.start and self.end and self.end < self.start:
            raise ValueError("a period cannot end before it starts (BR-29 / BR-30)")
        return self


class Delivery(_Frozen):
    """BG-13 Delivery information."""

    date: dt.date | None = None  # BT-72 actual delivery date
    party_name: OptStr = None  # BT-70 deliver to party name
    address: PostalAddress | None = None  # BG-15 deliver to address


class PrecedingInvoice(_Frozen):
    """BG-3 Preceding invoice reference (the invoice a credit note corrects)."""

    number: Str  # BT-25
    issue_date: dt.date | None = None  # BT-26


class PaymentInstructions(_Frozen):
    """BG-16 Payment instructions.

    ``means_code`` is UNTDID 4461: ``30`` credit transfer, ``58`` SEPA credit transfer,
    ``10`` cash, ``48``/``54``/``55`` card, ``49``/``59`` direct debit, ``68`` online payment
    service, ``ZZZ`` mutually defined. ``bank_name`` is printed on the PDF only: EN 16931 has
    no term for it.
    """

    means_code: Code = "30"  # BT-81
    means_text: OptStr = None  # BT-82
    remittance_information: OptStr = None  # BT-83, e.g. the invoice number
    iban: OptStr = None  # BT-84 payment account identifier (an IBAN, or a local account number)
    account_name: OptStr = None  # BT-85
    bic: OptStr = None  # BT-86 payment service provider identifier
    bank_name: OptStr = None  # presentation
    card_number: OptStr = None  # BT-87, at most the first 6 and last 4 digits (BR-51)
    card_holder: OptStr = None  # BT-88
    card_network: OptStr = None  # UBL's mandatory CardAccount/NetworkID (VISA, MC, ...)
    mandate_reference: OptStr = None  # BT-89
    creditor_reference: OptStr = None  # BT-90 bank assigned creditor identifier
    debited_account: OptStr = None  # BT-91

    @property
    def is_credit_transfer(self) -> bool:
        """Codes 30 and 58 carry a payee account (BG-17)."""
        return self.means_code in CREDIT_TRANSFER_CODES

    @property
    def is_card(self) -> bool:
        """Codes 48, 54 and 55 carry card information (BG-18)."""
        return self.means_code in CARD_CODES

    @property
    def is_direct_debit(self) -> bool:
        """Codes 49 and 59 carry a direct debit mandate (BG-19)."""
        return self.means_code in DIRECT_DEBIT_CODES


CREDIT_TRANSFER_CODES = frozenset({"30", "58"})
CARD_CODES = frozenset({"48", "54", "55"})
DIRECT_DEBIT_CODES = frozenset({"49", "59"})


class InvoiceLine(_Frozen):
    """BG-25 Invoice line.

    The exemption reason fields are inputs for the VAT breakdown (BT-120/BT-121 are
    document-level terms); they are not written on the line itself.
    """

    id: Str  # BT-126
    name: OptStr = None  # BT-153 item name
    description: OptStr = None  # BT-154
    seller_item_id: OptStr = None  # BT-155 (the SKU)
    note: OptStr = None  # BT-127 (e.g. variant information)
    quantity: Dec  # BT-129
    unit_code: Code = "C62"  # BT-130, UN/ECE Rec 20 ("C62" one, "HUR" hour, "KGM" kilogram)
    unit_price: Dec  # BT-146 item net price, may carry more decimals than the currency
    net_amount: Dec  # BT-131 = quantity x unit price, rounded to the currency
    vat_category: VatCategory  # BT-151
    vat_rate: Dec  # BT-152 (never written for category O, BR-O-05)
    exemption_reason_code: OptCode = None  # input for BT-121 (VATEX code)
    exemption_reason: OptStr = None  # input for BT-120
    period: Period | None = None  # BG-26


class DocumentAllowanceCharge(_Frozen):
    """BG-20 Document level allowance (``is_charge`` false) / BG-21 charge (true).

    The totals engine splits a document discount or charge over the VAT groups, so there is
    one entry per (category, rate) that carries a share.
    """

    is_charge: bool
    amount: Dec  # BT-92 / BT-99
    vat_category: VatCategory  # BT-95 / BT-102
    vat_rate: Dec  # BT-96 / BT-103
    reason: OptStr = None  # BT-97 / BT-104
    reason_code: OptCode = None  # BT-98 (UNTDID 5189) / BT-105 (UNTDID 7161)


class VatBreakdown(_Frozen):
    """BG-23 VAT breakdown, one per (category, rate)."""

    vat_category: VatCategory  # BT-118
    vat_rate: Dec  # BT-119
    taxable_amount: Dec  # BT-116
    tax_amount: Dec  # BT-117
    exemption_reason_code: OptCode = None  # BT-121
    exemption_reason: OptStr = None  # BT-120


class DocumentTotals(_Frozen):
    """BG-22 Document totals."""

    line_total: Dec  # BT-106 sum of the rounded line nets
    allowance_total: Dec  # BT-107
    charge_total: Dec  # BT-108
    tax_exclusive: Dec  # BT-109
    tax_total: Dec  # BT-110
    tax_inclusive: Dec  # BT-112
    prepaid: Dec  # BT-113
    rounding: Dec = ZERO  # BT-114
    payable: Dec  # BT-115


class InvoiceDocument(_Frozen):
    """The frozen EN 16931 snapshot of one invoice, the only input of every renderer.

    Build it with ``build_document``; constructing it directly (for example from a stored
    JSON snapshot with ``InvoiceDocument.model_validate_json``) re-checks the arithmetic.
    """

    number: Str  # BT-1
    type_code: InvoiceTypeCode = InvoiceTypeCode.INVOICE  # BT-3
    issue_date: dt.date  # BT-2
    due_date: dt.date | None = None  # BT-9
    currency: Code  # BT-5
    notes: tuple[str, ...] = ()  # BT-22
    buyer_reference: OptStr = None  # BT-10 (the Leitweg-ID for German public buyers)
    purchase_order_reference: OptStr = None  # BT-13
    preceding_invoices: tuple[PrecedingInvoice, ...] = ()  # BG-3
    seller: Party  # BG-4
    buyer: Party  # BG-7
    delivery: Delivery | None = None  # BG-13
    invoicing_period: Period | None = None  # BG-14
    lines: tuple[InvoiceLine, ...] = Field(min_length=1)  # BG-25 (BR-16: at least one)
    allowances: tuple[DocumentAllowanceCharge, ...] = ()  # BG-20
    charges: tuple[DocumentAllowanceCharge, ...] = ()  # BG-21
    vat_breakdown: tuple[VatBreakdown, ...] = Field(min_length=1)  # BG-23
    totals: DocumentTotals  # BG-22
    payment: PaymentInstructions | None = None  # BG-16
    payment_terms: Multiline = None  # BT-20, line breaks kept (BR-DE-18)

    # Presentation only: the PDF shows these; the e-invoice formats ignore them.
    status: DocumentStatus = DocumentStatus.ISSUED
    amount_paid: Dec = ZERO
    amount_credited: Dec = ZERO  # credit notes issued against this invoice since
    balance: Dec = ZERO
    public_url: OptStr = None  # QR code target (the public invoice page)
    seller_logo_url: OptStr = None  # never fetched; the PDF prints the trading name instead
    payment_methods: tuple[str, ...] = ()  # enabled methods for "how to pay" ("M-Pesa", "Card")
    language: str = "en"

    @property
    def is_draft(self) -> bool:
        """Drafts carry a DRAFT watermark and a provisional number."""
        return self.status is DocumentStatus.DRAFT

    @property
    def vat_categories(self) -> frozenset[VatCategory]:
        """The VAT categories used on lines, allowances and charges."""
        return frozenset(group.vat_category for group in self.vat_breakdown)

    @property
    def is_outside_scope(self) -> bool:
        """An invoice not subject to VAT (category O) carries no VAT identifiers (BR-O-02)."""
        return VatCategory.OUTSIDE_SCOPE in self.vat_categories

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("status"), str):
            data = {**data, "status": DocumentStatus.parse(data["status"])}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        try:
            currency = normalize_currency(self.currency)
        except UnknownCurrencyError as exc:
            raise ValueError(str(exc)) from exc
        ids = [line.id for line in self.lines]
        if len(set(ids)) != len(ids):
            raise ValueError("line ids (BT-126) must be unique within the invoice")
        # The allowances' own attribution to VAT groups is checked against the total (a
        # credit note may attribute an invoice's discount per group); the breakdown follows it.
        split = {(part.vat_category, part.vat_rate): part.amount for part in self.allowances}
        expected = compute_totals(
            [_taxable(line) for line in self.lines],
            currency=currency,
            discount=self.totals.allowance_total,
            charge=self.totals.charge_total,
            prepaid=self.totals.prepaid,
            discount_split=split if self.allowances else None,
        )
        for line, net in zip(self.lines, expected.line_nets, strict=True):
            if line.net_amount != net:
                raise ValueError(
                    f"line {line.id}: net amount {line.net_amount} is not quantity x unit "
                    f"price rounded to {currency} ({net})"
                )
        if _totals_model(expected) != self.totals.model_copy(update={"rounding": ZERO}):
            raise ValueError("document totals (BG-22) do not match the lines")
        got = {
            (g.vat_category, g.vat_rate, g.taxable_amount, g.tax_amount) for g in self.vat_breakdown
        }
        want = {(g.category, g.rate, g.taxable_amount, g.tax_amount) for g in expected.groups}
        if got != want or len(self.vat_breakdown) != len(expected.groups):
            raise ValueError("the VAT breakdown (BG-23) does not match the lines")
        if _split(self.allowances) != _split_expected(expected.allowances) or _split(
            self.charges
        ) != _split_expected(expected.charges):
            raise ValueError("document allowances or charges do not match the totals")
        if self.balance != self.totals.payable - self.amount_credited - self.amount_paid:
            raise ValueError(
                "balance must equal the amount due minus the amounts credited and paid"
            )
        return self


def _taxable(line: InvoiceLine | LineInput) -> TaxableLine:
    return TaxableLine(
        quantity=line.quantity,
        unit_price=line.unit_price,
        category=line.vat_category,
        rate=line.vat_rate,
    )


def _split(parts: Sequence[DocumentAllowanceCharge]) -> set[tuple[VatCategory, Decimal, Decimal]]:
    return {(part.vat_category, part.vat_rate, part.amount) for part in parts}


def _split_expected(parts: Sequence[GroupAllowance]) -> set[tuple[VatCategory, Decimal, Decimal]]:
    return {(part.category, part.rate, part.amount) for part in parts}


def _totals_model(totals: Totals) -> DocumentTotals:
    return DocumentTotals(
        line_total=totals.line_total,
        allowance_total=totals.allowance_total,
        charge_total=totals.charge_total,
        tax_exclusive=totals.tax_exclusive,
        tax_total=totals.tax_total,
        tax_inclusive=totals.tax_inclusive,
        prepaid=totals.prepaid,
        payable=totals.payable,
    )


class LineInput(_Frozen):
    """One invoice line as the service knows it, before any arithmetic.

    Numbers may be ``Decimal``, ``int`` or decimal strings (``"2.5"``); floats are refused.
    ``id`` defaults to the 1-based position. ``sku`` becomes the seller item id (BT-155).
    """

    name: OptStr = None
    quantity: Dec
    unit_price: Dec
    vat_rate: Dec = ZERO
    vat_category: VatCategory = VatCategory.STANDARD
    unit_code: Code = "C62"
    description: OptStr = None
    sku: OptStr = None
    note: OptStr = None
    exemption_reason_code: OptCode = None
    exemption_reason: OptStr = None
    period: Period | None = None
    id: OptStr = None


def build_document(
    *,
    number: str,
    issue_date: dt.date,
    currency: str,
    seller: Party,
    buyer: Party,
    lines: Sequence[LineInput],
    type_code: InvoiceTypeCode | str = InvoiceTypeCode.INVOICE,
    due_date: dt.date | None = None,
    notes: Sequence[str] = (),
    buyer_reference: str | None = None,
    purchase_order_reference: str | None = None,
    preceding_invoices: Sequence[PrecedingInvoice] = (),
    delivery: Delivery | None = None,
    invoicing_period: Period | None = None,
    discount: Decimal | int | str = ZERO,
    discount_split: Mapping[tuple[VatCategory, Decimal], Decimal] | None = None,
    discount_reason: str = "Discount",
    discount_reason_code: str | None = "95",
    charge: Decimal | int | str = ZERO,
    charge_reason: str = "Charge",
    charge_reason_code: str | None = None,
    prepaid: Decimal | int | str = ZERO,
    payment: PaymentInstructions | None = None,
    payment_terms: str | None = None,
    status: DocumentStatus | str = DocumentStatus.ISSUED,
    amount_paid: Decimal | int | str = ZERO,
    amount_credited: Decimal | int | str = ZERO,
    public_url: str | None = None,
    seller_logo_url: str | None = None,
    payment_methods: Sequence[str] = (),
    language: str = "en",
) -> InvoiceDocument:
    """Build a consistent ``InvoiceDocument`` from the service's primitive invoice data.

    Runs ``compute_totals`` once: line nets (BT-131), the document discount and charge split
    over the VAT groups (BG-20/BG-21), the VAT breakdown (BG-23) and the totals (BG-22) all
    come from the one totals engine. The exemption reason of a VAT group (BT-120/BT-121) is
    taken from its lines; only the categories that need one (E, AE, K, G, O) carry it.

    Args:
        number: BT-1 invoice number (a draft may carry a provisional one).
        issue_date: BT-2.
        currency: BT-5, ISO 4217; fixes the rounding of every amount.
        seller: BG-4.
        buyer: BG-7.
        lines: the invoice lines in order (at least one).
        type_code: BT-3, ``380`` invoice, ``381`` credit note, ``384`` corrected invoice.
        due_date: BT-9.
        notes: BT-22 free-text notes.
        buyer_reference: BT-10 (Leitweg-ID for German public buyers).
        purchase_order_reference: BT-13.
        preceding_invoices: BG-3, the invoices a credit note corrects.
        delivery: BG-13 (K intra-community supplies need a date and a country).
        invoicing_period: BG-14.
        discount: document discount (BT-107), split over the VAT groups.
        discount_split: the discount's part of each (category, rate) group, when it is not
            to be split in proportion to the groups' nets (a credit note crediting each
            group's own share of an invoice's discount).
        discount_reason: BT-97 text of each discount part.
        discount_reason_code: BT-98 (UNTDID 5189, ``95`` discount).
        charge: document charge (BT-108), split over the VAT groups.
        charge_reason: BT-104 text of each charge part.
        charge_reason_code: BT-105 (UNTDID 7161).
        prepaid: BT-113, paid before this invoice was issued (a deposit).
        payment: BG-16 payment instructions.
        payment_terms: BT-20.
        status: presentation; ``draft`` prints a watermark (``finalized``/``void`` accepted).
        amount_paid: presentation; payments received after issue.
        amount_credited: presentation; credit notes issued against the invoice since
            (balance = BT-115 - credited - paid).
        public_url: presentation; the QR code target.
        seller_logo_url: presentation; never fetched.
        payment_methods: presentation; enabled methods listed under "how to pay".
        language: presentation; label language of the PDF (``en``, ``fr``, ``de``).

    Returns:
        The frozen document.

    Raises:
        DocumentError: no lines, an unknown currency, a discount larger than the lines, lines
            of one VAT group with different exemption reason codes, or inconsistent inputs.
    """
    if not lines:
        raise DocumentError("an invoice needs at least one line (BR-16)")
    try:
        currency = normalize_currency(currency)
        totals = compute_totals(
            [_taxable(line) for line in lines],
            currency=currency,
            discount=_decimal(discount),
            charge=_decimal(charge),
            prepaid=_decimal(prepaid),
            discount_split=discount_split,
        )
        paid = round_money(_decimal(amount_paid), currency)
        credited = round_money(_decimal(amount_credited), currency)
        model_lines = tuple(
            InvoiceLine(
                id=line.id or str(index),
                name=line.name,
                description=line.description,
                seller_item_id=line.sku,
                note=line.note,
                quantity=line.quantity,
                unit_code=line.unit_code,
                unit_price=line.unit_price,
                net_amount=net,
                vat_category=line.vat_category,
                vat_rate=line.vat_rate,
                exemption_reason_code=line.exemption_reason_code,
                exemption_reason=line.exemption_reason,
                period=line.period,
            )
            for index, (line, net) in enumerate(zip(lines, totals.line_nets, strict=True), 1)
        )
        breakdown = tuple(
            VatBreakdown(
                vat_category=group.category,
                vat_rate=group.rate,
                taxable_amount=group.taxable_amount,
                tax_amount=group.tax_amount,
                **_group_exemption(group.category, group.rate, model_lines),
            )
            for group in totals.groups
        )
        return InvoiceDocument(
            number=number,
            type_code=InvoiceTypeCode(type_code),
            issue_date=issue_date,
            due_date=due_date,
            currency=currency,
            notes=tuple(note.strip() for note in notes if note and note.strip()),
            buyer_reference=buyer_reference,
            purchase_order_reference=purchase_order_reference,
            preceding_invoices=tuple(preceding_invoices),
            seller=seller,
            buyer=buyer,
            delivery=delivery,
            invoicing_period=invoicing_period,
            lines=model_lines,
            allowances=tuple(
                DocumentAllowanceCharge(
                    is_charge=False,
                    amount=part.amount,
                    vat_category=part.category,
                    vat_rate=part.rate,
                    reason=discount_reason,
                    reason_code=discount_reason_code,
                )
                for part in totals.allowances
            ),
            charges=tuple(
                DocumentAllowanceCharge(
                    is_charge=True,
                    amount=part.amount,
                    vat_category=part.category,
                    vat_rate=part.rate,
                    reason=charge_reason,
                    reason_code=charge_reason_code,
                )
                for part in totals.charges
            ),
            vat_breakdown=breakdown,
            totals=_totals_model(totals),
            payment=payment,
            payment_terms=payment_terms,
            status=DocumentStatus.parse(status),
            amount_paid=paid,
            amount_credited=credited,
            balance=totals.payable - credited - paid,
            public_url=public_url,
            seller_logo_url=seller_logo_url,
            payment_methods=tuple(method for method in payment_methods if method.strip()),
            language=language.strip().lower() or "en",
        )
    except (TotalsError, UnknownCurrencyError) as exc:
        raise DocumentError(str(exc)) from exc
    except ValueError as exc:
        if isinstance(exc, DocumentError):
            raise
        raise DocumentError(str(exc)) from exc


def _decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise DocumentError("pass a Decimal, an int or a decimal string, never a float")
    return Decimal(value)


def _group_exemption(
    category: VatCategory, rate: Decimal, lines: Sequence[InvoiceLine]
) -> dict[str, str | None]:
    # BR-S-10 / BR-Z-10 forbid a reason on S and Z; the other categories take theirs from lines.
    if not category.needs_exemption_reason:
        return {"exemption_reason_code": None, "exemption_reason": None}
    members = [line for line in lines if line.vat_category is category and line.vat_rate == rate]
    codes = sorted({line.exemption_reason_code for line in members if line.exemption_reason_code})
    if len(codes) > 1:
        raise DocumentError(
            f"lines of VAT category {category.value} carry different exemption reason codes "
            f"({', '.join(codes)}); one VAT breakdown has one reason (BT-121)"
        )
    texts: list[str] = []
    for line in members:
        if line.exemption_reason and line.exemption_reason not in texts:
            texts.append(line.exemption_reason)
    return {
        "exemption_reason_code": codes[0] if codes else None,
        "exemption_reason": "; ".join(texts) or None,
    }
