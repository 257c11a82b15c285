"""Document numbers: the daily-letter and yearly series, allocated without gaps.

A number is taken from a counter row with ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``
inside the issuing transaction. The row lock serialises concurrent issuers of the same period,
and a rollback gives the number back, so committed numbers have no gaps and no duplicates.

Invoices and credit notes have separate series (``DocumentSeries``): separate counters, and a
prefix of their own each, so each series is gap-free on its own. Every number is also reserved
in one operator-wide registry, so no two documents ever share a number.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models.invoice import InvoiceNumberCounter, InvoiceNumberRegistry
from billing.settings.schemas import NumberingSeries


class DocumentSeries(StrEnum):
    """Which documents a counter numbers."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def day_letters(sequence: int) -> str:
    """The letters of the ``sequence``-th number of a day: A..Z, then ZA..ZZ (seed 001), then
    ZZ and two letters (ZZAA..ZZZZ), then ZZZZ and three letters, and so on.

    Each block starts with the last number of the block before it, so the numbers of one day
    sort in issue order as plain strings (``13Z`` < ``13ZA`` < ``13ZZ`` < ``13ZZAA`` <
    ``13ZZZZ`` < ``13ZZZZAAA``), and they stay short: 18,304 numbers a day take at most seven
    letters, 475,280 at most eleven (before, every 26 numbers added a letter, and a day past
    about 1,270 numbers outgrew the column).
    """
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    remaining = sequence - 1
    prefix, width = "", 1
    if remaining >= 26:  # past Z: seed 001's ZA..ZZ
        remaining -= 26
        prefix = "Z"
        while remaining >= 26**width:
            remaining -= 26**width
            prefix += "Z" * width
            width += 1
    letters = []
    for _ in range(width):
        remaining, index = divmod(remaining, 26)
        letters.append(chr(ord("A") + index))
    return prefix + "".join(reversed(letters))


def format_number(series: NumberingSeries, prefix: str, day: date, sequence: int) -> str:
    """Render the ``sequence``-th number of ``day``'s period in ``series``."""
    if series is NumberingSeries.DAILY_LETTER:
        return f"{prefix}-{day.year}-{MONTHS[day.month - 1]}-{day.day:02d}{day_letters(sequence)}"
    return f"{prefix}-{day.year}-{sequence:05d}"


def series_key(
    series: NumberingSeries,
    prefix: str,
    day: date,
    documents: DocumentSeries = DocumentSeries.INVOICE,
) -> str:
    """The counter a number is drawn from: one per day or one per year (and per document
    series; invoice counters keep their original keys)."""
    if series is NumberingSeries.DAILY_LETTER:
        key = f"daily:{prefix}:{day.isoformat()}"
    else:
        key = f"yearly:{prefix}:{day.year}"
    if documents is DocumentSeries.INVOICE:
        return key
    return f"{documents.value}:{key}"


async def next_sequence(session: AsyncSession, key: str) -> int:
    """Increment and return the counter ``key`` (locked until the transaction ends)."""
    increment = (
        insert(InvoiceNumberCounter)
        .values(series_key=key, last_value=1)
        .on_conflict_do_update(
            index_elements=[InvoiceNumberCounter.series_key],
            set_={"last_value": InvoiceNumberCounter.last_value + 1},
        )
        .returning(InvoiceNumberCounter.last_value)
    )
    value = await session.scalar(increment)
    assert value is not None
    return int(value)


async def reserve_number(session: AsyncSession, invoice_number: str) -> bool:
    """Record ``invoice_number`` as used; False when it already was (by anyone)."""
    statement = (
        insert(InvoiceNumberRegistry)
        .values(invoice_number=invoice_number)
        .on_conflict_do_nothing()
        .returning(InvoiceNumberRegistry.invoice_number)
    )
    return await session.scalar(statement) is not None


async def allocate_number(
    session: AsyncSession,
    *,
    series: NumberingSeries,
    prefix: str,
    day: date,
    documents: DocumentSeries = DocumentSeries.INVOICE,
) -> str:
    """The next free number of ``day``'s period, reserved in this transaction."""
    key = series_key(series, prefix, day, documents)
    while True:
        candidate = format_number(series, prefix, day, await next_sequence(session, key))
        # A client may have taken this number by hand; the counter simply moves past it.
        if await reserve_number(session, candidate):
            return candidate
