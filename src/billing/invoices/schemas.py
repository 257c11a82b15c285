"""Request and response bodies of the invoices domain."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AliasChoices,
    BeforeValidator,
    Field,
    StringConstraints,
    model_validator,
)

from billing.core.schemas import (
    MONEY_DIGITS,
    MONEY_PLACES,
    CountryCode,
    CurrencyCode,
    DecimalString,
    IsoDate,
    MoneyString,
    PriceString,
    QuantityString,
    RateString,
    ReadSchema,
    VatId,
    WriteSchema,
)
from billing.core.totals import VatCategory
from billing.models.states import InvoiceStatus
from billing.settings.schemas import Seller


class PaymentStatus(StrEnum):
    """Payment state, derived from the ledger."""

    PENDING = "pending"
    PARTIAL = "partial"
    PAID = "paid"
    REFUNDED = "refunded"


class CreditNoteKind(StrEnum):
    """What a credit note credits: everything that remained, chosen lines, or amounts."""

    FULL = "full"
    LINES = "lines"
    AMOUNTS = "amounts"


class CreditNoteSettlement(StrEnum):
    """What happens to the credited money.

    ``reduce_balance``: the invoice asks for less (only what is still open can be reduced).
    ``refund``: money paid on the invoice goes back to the payer (the rest, if the credit is
    larger than what was paid, reduces the balance). ``wallet``: money paid on the invoice is
    credited to the tenant's wallet instead (the rest reduces the balance).
    """

    REDUCE_BALANCE = "reduce_balance"
    REFUND = "refund"
    WALLET = "wallet"


class InvoiceLanguage(StrEnum):
    """Language of an invoice's public page, PDF labels and messages."""

    EN = "en"
    FR = "fr"
    DE = "de"
    RW = "rw"


def _language(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


LanguageInput = Annotated[InvoiceLanguage, BeforeValidator(_language)]
"""A language on input, in any case (``FR`` is ``fr``)."""


STATUS_ALIASES = {"finalized": "issued", "void": "cancelled", "voided": "cancelled"}


def _status_alias(value: Any) -> Any:
    if isinstance(value, str):
        return STATUS_ALIASES.get(value.strip().lower(), value.strip().lower())
    return value


StatusInput = Annotated[InvoiceStatus, BeforeValidator(_status_alias)]
"""A status on input; accepts the aliases ``finalized`` (issued) and ``void`` (cancelled)."""


class StatusFilter(StrEnum):
    """A status to list by: the lifecycle states, plus seed 003's ``pending`` (open, nothing
    paid, not overdue) and ``partial`` (open, partly paid, not overdue). ``void`` and
    ``finalized`` are accepted as aliases of ``cancelled`` and ``issued``."""

    DRAFT = "draft"
    ISSUED = "issued"
    SENT = "sent"
    PAID = "paid"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"
    PENDING = "pending"
    PARTIAL = "partial"


StatusFilterInput = Annotated[StatusFilter, BeforeValidator(_status_alias)]
"""A status filter on input, with the aliases of ``StatusInput``."""


def _date_or_datetime(value: Any) -> Any:
    # Seed clients send full ISO timestamps for dates; the calendar day is what counts.
    if isinstance(value, str) and "T" in value:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    if isinstance(value, datetime):
        return value.date()
    return value


LenientDate = Annotated[IsoDate, BeforeValidator(_date_or_datetime)]
"""A date ``YYYY-MM-DD``; a full ISO timestamp is read as its calendar day."""

UnitCode = Annotated[str, Field(pattern=r"^[A-Z0-9]{2,3}$", examples=["C62", "HUR"])]


def _payment_terms(value: Any) -> Any:
    # Request strings are stripped, but BT-20 keeps its line breaks: XRechnung requires one
    # after each cash discount line (#SKONTO#TAGE=14#PROZENT=2.00#, BR-DE-18).
    if isinstance(value, str):
        text = value.replace("\r\n", "\n").strip(" \t")
        return text if text.strip() else None
    return value


PaymentTerms = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=False, max_length=500)] | None,
    BeforeValidator(_payment_terms),
]
"""Payment terms (BT-20): line breaks kept, spaces and tabs around the text dropped."""


class CustomerDetails(WriteSchema):
    """Buyer fields that override the tenant's billing profile on this invoice."""

    name: str | None = Field(default=None, max_length=300)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    address_line1: str | None = Field(default=None, max_length=300)
    address_line2: str | None = Field(default=None, max_length=300)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=120)
    state: str | None = Field(default=None, max_length=120)
    country_code: CountryCode | None = None
    vat_id: VatId | None = Field(
        default=None,
        description="Buyer VAT identifier (BT-48), normalised like the billing profile's.",
    )


class LineInput(WriteSchema):
    """A line to add. Product defaults apply to what is left out.

    Seed 003's form is accepted too: ``qty`` for ``quantity``, and a ``description`` without
    ``name`` or product becomes the line's name.
    """

    product_id: uuid.UUID | None = None
    sku: str | None = Field(default=None, max_length=100)
    name: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=2000)
    quantity: QuantityString = Field(
        default=Decimal(1),
        gt=0,
        max_digits=20,
        decimal_places=6,
        validation_alias=AliasChoices("quantity", "qty"),
        description="Also accepted as qty (seed 003).",
    )
    unit_price: PriceString | None = Field(default=None, ge=0, max_digits=20, decimal_places=6)
    unit_code: UnitCode | None = None
    tax_rate_id: uuid.UUID | None = None
    tax_rate: RateString | None = Field(default=None, ge=0, le=100, max_digits=7, decimal_places=4)
    tax_category: VatCategory | None = None
    tax_exemption_reason_code: str | None = Field(default=None, max_length=40)
    tax_exemption_reason: str | None = Field(default=None, max_length=500)
    variant_info: dict[str, Any] | None = Field(
        default=None, max_length=50, description="Free-form attributes (at most 50 keys)."
    )

    @model_validator(mode="before")
    @classmethod
    def _seed_description_is_the_name(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and data.get("name") is None
            and data.get("product_id") is None
            and isinstance(data.get("description"), str)
        ):
            return {**data, "name": data["description"], "description": None}
        return data

    def without_tax(self) -> bool:
        """True when the line names no tax of its own (rate, category or tax rate)."""
        return self.tax_rate is None and self.tax_category is None and self.tax_rate_id is None


class InvoiceCreate(WriteSchema):
    """A new invoice: lines, or only ``subtotal`` and ``discount_amount`` (one line is made)."""

    tenant_id: uuid.UUID = Field(
        validation_alias=AliasChoices("tenant_id", "subscriber_id"),
        description="Also accepted as subscriber_id (seed 003).",
    )
    customer: CustomerDetails | None = None
    currency: CurrencyCode | None = None
    destination_country: CountryCode | None = None
    payment_terms: PaymentTerms = None
    issue_date: LenientDate | None = None
    due_date: LenientDate | None = None
    notes: str | None = Field(default=None, max_length=5000)
    language: LanguageInput | None = Field(
        default=None, description="Page, PDF labels and messages; English when not set."
    )
    items: list[LineInput] = Field(default_factory=list, max_length=5000)
    subtotal: DecimalString | None = Field(
        default=None, ge=0, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES
    )
    discount_amount: DecimalString = Field(
        default=Decimal(0), ge=0, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES
    )
    tax_rate_id: uuid.UUID | None = Field(
        default=None, description="Tax rate for lines that name none."
    )
    tax_rate: RateString | None = Field(
        default=None,
        ge=0,
        le=100,
        max_digits=7,
        decimal_places=4,
        description="Seed 003: a VAT rate in percent for lines that name none "
        "(instead of tax_rate_id).",
    )
    invoice_number: str | None = Field(default=None, min_length=1, max_length=64)
    status: StatusInput = InvoiceStatus.DRAFT
    payment_status: PaymentStatus | None = None
    payment_method: str | None = Field(default=None, max_length=30)
    payment_reference: str | None = Field(default=None, max_length=200)
    buyer_reference: str | None = Field(default=None, max_length=200)
    purchase_order_reference: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _lines_or_subtotal(self) -> InvoiceCreate:
        if self.items and self.subtotal is not None:
            raise ValueError("send either items or subtotal, not both")
        if self.tax_rate is not None and self.tax_rate_id is not None:
            raise ValueError("send either tax_rate or tax_rate_id, not both")
        return self


class InvoiceUpdate(WriteSchema):
    """Changes to a draft; fields left out keep their values. ``items`` replaces all lines."""

    customer: CustomerDetails | None = None
    currency: CurrencyCode | None = None
    destination_country: CountryCode | None = None
    payment_terms: PaymentTerms = None
    issue_date: LenientDate | None = None
    due_date: LenientDate | None = None
    notes: str | None = Field(default=None, max_length=5000)
    language: LanguageInput | None = None
    discount_amount: DecimalString | None = Field(
        default=None, ge=0, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES
    )
    items: list[LineInput] | None = Field(default=None, max_length=5000)
    tax_rate_id: uuid.UUID | None = Field(
        default=None, description="Apply this tax rate to every line."
    )
    tax_rate: RateString | None = Field(
        default=None,
        ge=0,
        le=100,
        max_digits=7,
        decimal_places=4,
        description="Seed 003: a VAT rate in percent for every line that names none "
        "(with items) or every line (without).",
    )
    buyer_reference: str | None = Field(default=None, max_length=200)
    purchase_order_reference: str | None = Field(default=None, max_length=200)
    payment_method: str | None = Field(default=None, max_length=30)
    payment_reference: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _one_tax(self) -> InvoiceUpdate:
        if self.tax_rate is not None and self.tax_rate_id is not None:
            raise ValueError("send either tax_rate or tax_rate_id, not both")
        return self


class StatusUpdate(WriteSchema):
    """A status change (seed 001): ``paid`` records a settling payment."""

    status: StatusInput | None = None
    payment_status: PaymentStatus | None = None
    payment_method: str | None = Field(default=None, max_length=30)
    payment_reference: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=5000)


def printable_text(value: str) -> str:
    """Refuse NUL and other control characters (line breaks and tabs are kept)."""
    # PostgreSQL text cannot hold NUL, and control characters have no place in a reason that
    # is printed on the PDF and written into every e-invoice (BT-22).
    if any(ord(character) < 32 and character not in "\n\t" for character in value):
        raise ValueError("must not contain control characters")
    return value


Reason = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(printable_text)]
"""Why a document is cancelled or credited: printable text, printed on the credit note."""


class CancelRequest(WriteSchema):
    """Why an invoice is cancelled: the reason of the full credit note an issued invoice gets."""

    reason: Reason | None = None


class InvoiceLineRead(ReadSchema):
    """A line of an invoice."""

    id: uuid.UUID
    position: int
    product_id: uuid.UUID | None
    sku: str | None
    name: str
    description: str | None
    quantity: QuantityString
    unit_code: str
    unit_price: PriceString
    tax_rate: RateString
    tax_category: str
    tax_exemption_reason_code: str | None
    tax_exemption_reason: str | None
    line_total: DecimalString
    variant_info: dict[str, Any] | None
    source_invoice_id: uuid.UUID | None


class TaxBreakdownRead(ReadSchema):
    """VAT of one (category, rate) group."""

    category: str
    rate: RateString
    taxable_amount: DecimalString
    tax_amount: DecimalString


class CashTransactionRead(ReadSchema):
    """Cash handed over and the change returned."""

    id: uuid.UUID
    invoice_id: uuid.UUID
    payment_id: uuid.UUID | None
    currency: str
    amount_due: MoneyString
    amount_given: MoneyString
    change_amount: MoneyString
    status: str
    processed_by: str | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CreditNoteSummary(ReadSchema):
    """A credit note of an invoice, as the invoice lists it."""

    id: uuid.UUID
    credit_note_number: str
    kind: CreditNoteKind
    issue_date: date
    currency: str
    total_amount: MoneyString
    settlement: CreditNoteSettlement
    reason: str


class InvoiceRead(ReadSchema):
    """An invoice with its lines, totals and payment summary."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    invoice_number: str | None
    status: InvoiceStatus
    payment_status: PaymentStatus
    currency: str
    subtotal: DecimalString
    discount_amount: DecimalString
    tax_amount: DecimalString
    total_amount: DecimalString
    amount_paid: DecimalString
    amount_refunded: DecimalString = Field(
        description="Paid money given back: refunded to the payer or moved to the wallet."
    )
    amount_credited: DecimalString = Field(description="Sum of the invoice's credit notes.")
    balance: DecimalString = Field(
        description="What is still due: total_amount - amount_credited - amount_paid."
    )
    payment_method: str | None
    payment_reference: str | None
    paid_at: datetime | None
    issue_date: date
    due_date: date | None
    issued_at: datetime | None
    cancelled_at: datetime | None
    notes: str | None
    language: InvoiceLanguage = Field(description="Of the public page and the PDF labels.")
    payment_terms: str | None
    destination_country: str | None
    buyer_reference: str | None
    purchase_order_reference: str | None
    customer_name: str | None
    customer: dict[str, Any]
    seller: Seller | None = Field(description="The seller as frozen at issue; null for drafts.")
    items: list[InvoiceLineRead]
    tax_breakdown: list[TaxBreakdownRead]
    cash_transactions: list[CashTransactionRead]
    credit_notes: list[CreditNoteSummary] = Field(
        description="Credit notes issued against this invoice, oldest first."
    )
    public_id: str
    public_url: str
    pdf_url: str | None
    consolidated_into_id: uuid.UUID | None
    reseller_id: uuid.UUID | None = Field(
        description="The tenant's reseller (seed 003); null without one, and for tenants."
    )
    commission_rate: RateString | None = Field(
        description="The reseller's commission in percent, frozen when the invoice is issued."
    )
    commission_amount: DecimalString | None = Field(
        description="commission_rate of the net (subtotal - discount), in the currency's "
        "minor unit."
    )
    created_at: datetime
    updated_at: datetime
