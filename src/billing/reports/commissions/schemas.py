"""The commission report's query and answer (seed 003)."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from billing.core.schemas import DecimalString, RateString
from billing.settings.schemas import CommissionBasis


class CommissionStatus(StrEnum):
    """Which of the reseller's issued invoices the report lists.

    ``paid`` (the default) are fully paid invoices; ``unpaid`` are open ones with a balance
    (seed 003's pending, partial and overdue together); ``pending``, ``partial`` and
    ``overdue`` narrow that down as the invoice list does; ``all`` is every issued invoice
    that was not cancelled.
    """

    PAID = "paid"
    UNPAID = "unpaid"
    PENDING = "pending"
    PARTIAL = "partial"
    OVERDUE = "overdue"
    ALL = "all"


class CommissionMonth(BaseModel):
    """One month (of issue date) and currency of a reseller's invoices."""

    month: str = Field(description="YYYY-MM of the invoices' issue date.")
    currency: str
    invoice_count: int
    invoiced: DecimalString = Field(description="Sum of the invoices' nets (subtotal - discount).")
    commission: DecimalString = Field(
        description="Sum of the commission amounts frozen on these invoices at issue."
    )
    earned: DecimalString = Field(
        description="The part of commission that counts under commission_basis (paid: only "
        "paid invoices; invoiced: all of it)."
    )


class CommissionTotal(BaseModel):
    """The report's totals in one currency."""

    currency: str
    invoiced: DecimalString
    commission: DecimalString
    earned: DecimalString


class CommissionReport(BaseModel):
    """A reseller's commission over a date range (seed 003's shape, per currency).

    Amounts are never added across currencies: ``totals`` has one entry per currency, and
    ``total_invoiced`` / ``total_commission`` (the seed's names) are filled when the report
    holds one currency (``"0.00"`` for none), null when it holds several.
    """

    reseller_id: uuid.UUID
    rate: RateString = Field(
        description="The reseller's commission rate now; each invoice keeps the rate it was "
        "issued with, which is what its commission was computed from."
    )
    basis: CommissionBasis
    status: CommissionStatus
    date_from: date | None
    date_to: date | None
    currency: str | None = Field(description="The report's one currency, null for several.")
    total_invoiced: DecimalString | None
    total_commission: DecimalString | None = Field(
        description="Sum of earned: the commission counted under commission_basis."
    )
    totals: list[CommissionTotal]
    rows: list[CommissionMonth]
