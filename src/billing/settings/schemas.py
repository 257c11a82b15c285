"""The settings document and its partial update."""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from typing import Annotated
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    WithJsonSchema,
)

from billing.core.schemas import (
    BaseUrl,
    CountryCode,
    CurrencyCode,
    EmailAddress,
    RateString,
    WriteSchema,
    mark_text_properties,
)
from billing.renderers.codes import EAS_CODES
from billing.renderers.errors import UnknownPaperSizeError
from billing.renderers.paper import paper_size, paper_size_names


def _eas(value: str) -> str:
    if value not in EAS_CODES:
        raise ValueError(
            "must be an EAS code from the CEF list (EN 16931 BR-CL-25), e.g. '0088' (GLN), "
            "'0208' or '9930'"
        )
    return value


EasCode = Annotated[str, AfterValidator(_eas)]


@lru_cache(maxsize=1)
def _known_timezones() -> frozenset[str]:
    # available_timezones() walks the tz database on every call (milliseconds); the settings
    # document is validated on every request, so read it once.
    return frozenset(available_timezones()) | {"UTC"}


def _timezone(value: str) -> str:
    if value not in _known_timezones():
        raise ValueError("must be an IANA time zone name such as 'Africa/Nairobi'")
    ZoneInfo(value)
    return value


TimeZoneName = Annotated[str, AfterValidator(_timezone)]


def _paper(value: str) -> str:
    try:
        return paper_size(value).name
    except UnknownPaperSizeError as exc:
        raise ValueError(f"must be one of {', '.join(paper_size_names())}") from exc


PaperSizeName = Annotated[
    str,
    AfterValidator(_paper),
    WithJsonSchema({"type": "string", "enum": list(paper_size_names()), "examples": ["A4"]}),
]
"""A paper size the PDF renderer knows, stored under its canonical name (``letter`` ->
``Letter``)."""

PAYMENT_METHOD_SWITCHES: dict[str, str] = {
    "cash": "enable_cash",
    "mpesa": "enable_mpesa",
    "bank": "enable_bank_payments",
    "cash_on_delivery": "enable_cash_on_delivery",
    "pesapal": "enable_pesapal",
    "stripe": "enable_stripe",
    "mollie": "enable_mollie",
}
"""Payment method name -> the settings switch that enables it (order = display order)."""

# Methods the ledger knows that have no switch of their own.
ALWAYS_ENABLED_METHODS = frozenset({"wallet", "other"})
METHOD_ALIASES = {"card": "stripe"}


class NumberingSeries(StrEnum):
    """Number formats of invoices and credit notes (shown here with the prefix ``INV``)."""

    DAILY_LETTER = "daily_letter"  # INV-2025-DEC-13A, ...13B, ..., 13Z, 13ZA
    YEARLY_SEQUENCE = "yearly_sequence"  # INV-2026-04521


class CommissionBasis(StrEnum):
    """Which invoices earn reseller commission."""

    PAID = "paid"
    INVOICED = "invoiced"


_PREFIX = re.compile(r"^[A-Z0-9]{1,10}$")


def _prefix(value: str) -> str:
    if not _PREFIX.match(value):
        raise ValueError("must be 1 to 10 upper-case letters or digits")
    return value


class Seller(BaseModel):
    """The operator as it appears on invoices and e-invoices (BG-4).

    Also read back from settings and from invoices frozen at issue, so it refuses nothing
    itself: control characters are refused on the way in (``SettingsUpdate``).
    """

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=mark_text_properties
    )

    legal_name: str | None = Field(default=None, max_length=300, description="BT-27")
    trading_name: str | None = Field(default=None, max_length=300, description="BT-28")
    address_line1: str | None = Field(default=None, max_length=300)
    address_line2: str | None = Field(default=None, max_length=300)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=120)
    country_code: CountryCode | None = None
    vat_id: str | None = Field(default=None, max_length=40, description="BT-31")
    tax_number: str | None = Field(default=None, max_length=40, description="BT-32")
    registration_id: str | None = Field(default=None, max_length=60, description="BT-30")
    contact_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: EmailAddress | None = None
    iban: str | None = Field(default=None, max_length=34, description="BT-84")
    bic: str | None = Field(default=None, max_length=11, description="BT-86")
    bank_name: str | None = Field(default=None, max_length=200)
    logo_url: str | None = Field(default=None, max_length=1000)
    peppol_endpoint_id: str | None = Field(default=None, max_length=200, description="BT-34")
    peppol_scheme: EasCode | None = None


class DunningFinalAction(StrEnum):
    """What happens to a subscription when every retry of a failed charge failed."""

    CANCEL = "cancel"
    PAUSE = "pause"
    LEAVE_UNPAID = "leave_unpaid"  # stays past_due, the invoice stays open, no more retries


def _retry_days(value: list[int]) -> list[int]:
    if any(later <= earlier for earlier, later in pairwise(value)):
        raise ValueError("retry days must be strictly increasing, e.g. [1, 3, 5, 7]")
    return value


RetryDays = Annotated[
    list[Annotated[StrictInt, Field(ge=1, le=90)]],
    Field(max_length=10),
    AfterValidator(_retry_days),
]


class SubscriptionSettings(BaseModel):
    """How subscriptions collect: the dunning schedule and its final outcome."""

    model_config = ConfigDict(extra="forbid")

    dunning_retry_days: RetryDays = Field(
        default_factory=lambda: [1, 3, 5, 7],
        description="Days after the first failed automatic charge at which it is retried "
        "(each 1 to 90, increasing; empty: no retries).",
    )
    dunning_final_action: DunningFinalAction = Field(
        default=DunningFinalAction.CANCEL,
        description="What happens after the last retry failed: cancel, pause, or leave_unpaid "
        "(past_due with the invoice open).",
    )
    usage_grace_minutes: StrictInt = Field(
        default=60,
        ge=0,
        le=7 * 24 * 60,
        description="Usage events arriving within this many minutes of their timestamp count "
        "in the period of their timestamp (renewals with usage wait that long after the period "
        "ends); later ones count when they arrive, on the next invoice.",
    )


class SubscriptionSettingsUpdate(BaseModel):
    """A partial update of the subscription settings."""

    model_config = ConfigDict(extra="forbid")

    dunning_retry_days: RetryDays | None = None
    dunning_final_action: DunningFinalAction | None = None
    usage_grace_minutes: StrictInt | None = Field(default=None, ge=0, le=7 * 24 * 60)


def _reminder_days(value: list[int]) -> list[int]:
    if any(later <= earlier for earlier, later in pairwise(value)):
        raise ValueError("reminder days must be strictly increasing, e.g. [-3, 0, 3, 7, 14]")
    return value


ReminderDays = Annotated[
    list[Annotated[StrictInt, Field(ge=-60, le=365)]],
    Field(max_length=12),
    AfterValidator(_reminder_days),
]
BrandColor = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$", examples=["#1f4e79"])]


class NotificationSettings(BaseModel):
    """How customers hear from the operator: payment reminders and the e-mails' branding."""

    model_config = ConfigDict(extra="forbid")

    reminders_enabled: bool = Field(default=True, description="Send payment reminders.")
    reminder_days: ReminderDays = Field(
        default_factory=lambda: [-3, 0, 3, 7, 14],
        description="Days relative to the due date at which an unpaid invoice is reminded "
        "(-3: three days before, 0: on the due day, 7: a week late); increasing.",
    )
    reminder_whatsapp: bool = Field(
        default=False, description="Also remind over WhatsApp when the tenant has a phone."
    )
    brand_color: BrandColor = Field(default="#1f4e79", description="Accent colour of e-mails.")


class NotificationSettingsUpdate(BaseModel):
    """A partial update of the notification settings."""

    model_config = ConfigDict(extra="forbid")

    reminders_enabled: StrictBool | None = None
    reminder_days: ReminderDays | None = None
    reminder_whatsapp: StrictBool | None = None
    brand_color: BrandColor | None = None


class OperatorSettings(BaseModel):
    """The whole settings document (what GET returns)."""

    model_config = ConfigDict(extra="forbid")

    seller: Seller = Field(default_factory=Seller)
    default_currency: CurrencyCode = "EUR"
    enabled_currencies: list[CurrencyCode] = Field(default_factory=lambda: ["EUR", "KES"])
    default_tax_rate: RateString = Field(
        default=Decimal("16.00"), ge=0, le=100, max_digits=7, decimal_places=4
    )
    default_due_days: int = Field(default=14, ge=0, le=3650)
    default_paper_size: PaperSizeName = "A4"
    numbering_series: NumberingSeries = NumberingSeries.DAILY_LETTER
    number_prefix: Annotated[str, AfterValidator(_prefix)] = "INV"
    credit_note_series: NumberingSeries = Field(
        default=NumberingSeries.YEARLY_SEQUENCE,
        description="Number format of credit notes; the default gives CN-2026-00001.",
    )
    credit_note_prefix: Annotated[str, AfterValidator(_prefix)] = Field(
        default="CN", description="Prefix of credit note numbers; must differ from number_prefix."
    )
    public_base_url: BaseUrl | None = Field(default=None, max_length=300)
    commission_basis: CommissionBasis = CommissionBasis.PAID
    timezone: TimeZoneName = "UTC"
    subscriptions: SubscriptionSettings = Field(default_factory=SubscriptionSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    enable_cash: bool = True
    enable_mpesa: bool = False
    enable_bank_payments: bool = True
    enable_cash_on_delivery: bool = False
    enable_pesapal: bool = False
    enable_stripe: bool = False
    enable_mollie: bool = False

    def enabled_methods(self) -> list[str]:
        """Payment methods switched on, in display order."""
        return [
            method for method, switch in PAYMENT_METHOD_SWITCHES.items() if getattr(self, switch)
        ]

    def method_enabled(self, method: str) -> bool:
        """True when ``method`` may be used (wallet and other are always allowed)."""
        method = METHOD_ALIASES.get(method, method)
        if method in ALWAYS_ENABLED_METHODS:
            return True
        switch = PAYMENT_METHOD_SWITCHES.get(method)
        return switch is not None and bool(getattr(self, switch))


class SettingsUpdate(WriteSchema):
    """A partial update: fields left out (also inside ``seller``) keep their values."""

    seller: Seller | None = Field(
        default=None, description="Any subset of the seller fields; null clears a field."
    )
    default_currency: CurrencyCode | None = None
    enabled_currencies: list[CurrencyCode] | None = Field(default=None, max_length=200)
    # At most 4 decimals, the precision of VAT rates end to end (billing.core.totals).
    default_tax_rate: RateString | None = Field(
        default=None, ge=0, le=100, max_digits=7, decimal_places=4
    )
    default_due_days: StrictInt | None = Field(default=None, ge=0, le=3650)
    default_paper_size: PaperSizeName | None = None
    numbering_series: NumberingSeries | None = None
    number_prefix: Annotated[str, AfterValidator(_prefix)] | None = None
    credit_note_series: NumberingSeries | None = None
    credit_note_prefix: Annotated[str, AfterValidator(_prefix)] | None = None
    public_base_url: BaseUrl | None = Field(default=None, max_length=300)
    commission_basis: CommissionBasis | None = None
    timezone: TimeZoneName | None = None
    subscriptions: SubscriptionSettingsUpdate | None = Field(
        default=None, description="Any subset of the subscription settings."
    )
    notifications: NotificationSettingsUpdate | None = Field(
        default=None, description="Any subset of the notification settings."
    )
    enable_cash: StrictBool | None = None
    enable_mpesa: StrictBool | None = None
    enable_bank_payments: StrictBool | None = None
    enable_cash_on_delivery: StrictBool | None = None
    enable_pesapal: StrictBool | None = None
    enable_stripe: StrictBool | None = None
    enable_mollie: StrictBool | None = None
