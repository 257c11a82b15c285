"""The operator reports' answers: each a list of flat rows (one CSV line each) and totals."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from billing.core.schemas import MoneyString


class ReportFormat(StrEnum):
    """How a report is answered: the JSON envelope or a CSV file."""

    JSON = "json"
    CSV = "csv"


class RevenueRow(BaseModel):
    """One month and currency of the ledger."""

    month: str = Field(description="YYYY-MM.")
    currency: str
    invoiced: MoneyString = Field(description="Totals (VAT included) of invoices issued.")
    credited: MoneyString = Field(description="Totals of credit notes issued.")
    collected: MoneyString = Field(
        description="Payments received, wallet payments left out (that money was collected "
        "when it entered the wallet)."
    )
    refunded: MoneyString = Field(description="Refunds given back.")
    net_collected: MoneyString = Field(description="collected - refunded.")


class RevenueReport(BaseModel):
    """Revenue per month and currency between two dates (operator time zone)."""

    date_from: date
    date_to: date
    rows: list[RevenueRow]


class AgeingBucket(StrEnum):
    """Days past due of an open balance."""

    CURRENT = "current"  # not yet due (or no due date)
    DAYS_1_30 = "1-30"
    DAYS_31_60 = "31-60"
    DAYS_61_90 = "61-90"
    OVER_90 = "90+"


class AgeingRow(BaseModel):
    """Open balances of one currency by days past due, as of the report's date."""

    currency: str
    current: MoneyString
    days_1_30: MoneyString
    days_31_60: MoneyString
    days_61_90: MoneyString
    over_90: MoneyString
    total: MoneyString
    invoice_count: int


class AgeingReport(BaseModel):
    """Receivables ageing: what was owed at the end of ``as_of``, by how late it was."""

    as_of: date
    rows: list[AgeingRow]


class MrrRow(BaseModel):
    """One month and currency of recurring revenue and its movements.

    ``mrr_end = mrr_start + new + expansion - contraction - churn``, to the cent.
    """

    month: str
    currency: str
    mrr_start: MoneyString = Field(description="MRR on the first day of the month.")
    new: MoneyString = Field(description="MRR of subscriptions that had none at the start.")
    expansion: MoneyString
    contraction: MoneyString
    churn: MoneyString = Field(description="MRR of subscriptions that have none at the end.")
    mrr_end: MoneyString = Field(
        description="MRR on the first day of the next month (today for the current month)."
    )
    arr_end: MoneyString = Field(description="12 x mrr_end.")
    subscriptions_end: int = Field(description="Subscriptions contributing to mrr_end.")


class MrrReport(BaseModel):
    """Monthly recurring revenue from subscriptions' billed segments (trials left out),
    normalised to a month: a year is 1/12, a quarter 1/3, a week 52/12, a day 365/12."""

    date_from: date
    date_to: date
    rows: list[MrrRow]


class PaymentsRow(BaseModel):
    """Payments of one currency, method and provider."""

    currency: str
    method: str
    provider: str | None = Field(description="The provider that collected it; null for manual.")
    count: int
    amount: MoneyString
    refunded: MoneyString = Field(description="Refunds given in the range on such payments.")


class PaymentsReport(BaseModel):
    """Payments received between two dates (operator time zone), by method and provider."""

    date_from: date
    date_to: date
    rows: list[PaymentsRow]
