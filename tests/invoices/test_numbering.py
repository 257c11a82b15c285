"""Invoice numbers: formats, letter sequence, period boundaries, concurrency."""

from __future__ import annotations

import asyncio
import random
from datetime import date, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.invoices.numbering import day_letters, format_number, series_key
from billing.settings.schemas import NumberingSeries
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

INVOICES = "/api/v1/admin/invoices"


def unique_day() -> date:
    """A day no other test uses, so its letter sequence starts at A."""
    return date(2200, 1, 1) + timedelta(days=random.randrange(200_000))


class TestLetters:
    @pytest.mark.parametrize(
        ("sequence", "letters"),
        [
            (1, "A"),
            (2, "B"),
            (26, "Z"),
            (27, "ZA"),
            (28, "ZB"),
            (52, "ZZ"),
            (53, "ZZAA"),
            (79, "ZZBA"),
            (728, "ZZZZ"),
            (729, "ZZZZAAA"),
        ],
    )
    def test_sequence(self, sequence: int, letters: str) -> None:
        assert day_letters(sequence) == letters

    @given(st.integers(min_value=1, max_value=2000) | st.integers(min_value=1, max_value=10**6))
    def test_numbers_of_a_day_sort_in_issue_order(self, sequence: int) -> None:
        assert day_letters(sequence) < day_letters(sequence + 1)

    def test_a_busy_day_still_fits_the_number_column(self) -> None:
        # A number is at most 64 characters (the column); a long prefix and the date take 19.
        assert len(day_letters(18_304)) == 7
        assert len(day_letters(475_280)) == 11
        busiest = format_number(NumberingSeries.DAILY_LETTER, "INVOICE", date(2026, 12, 5), 10**6)
        assert busiest.startswith("INVOICE-2026-DEC-05ZZ")
        assert len(busiest) <= 64

    @given(st.integers(min_value=1, max_value=2000), st.integers(min_value=1, max_value=2000))
    def test_letters_are_unique(self, first: int, second: int) -> None:
        assert (day_letters(first) == day_letters(second)) == (first == second)

    def test_formats(self) -> None:
        day = date(2025, 12, 13)
        assert format_number(NumberingSeries.DAILY_LETTER, "INV", day, 1) == "INV-2025-DEC-13A"
        assert format_number(NumberingSeries.YEARLY_SEQUENCE, "INV", day, 4521) == "INV-2025-04521"

    def test_periods(self) -> None:
        daily = NumberingSeries.DAILY_LETTER
        yearly = NumberingSeries.YEARLY_SEQUENCE
        assert series_key(daily, "INV", date(2025, 12, 31)) != series_key(
            daily, "INV", date(2026, 1, 1)
        )
        assert series_key(yearly, "INV", date(2025, 1, 1)) == series_key(
            yearly, "INV", date(2025, 12, 31)
        )
        assert series_key(yearly, "INV", date(2025, 12, 31)) != series_key(
            yearly, "INV", date(2026, 1, 1)
        )


class TestAllocation:
    async def test_daily_letters_and_day_boundary(self, factory: Factory) -> None:
        tenant = await factory.create_tenant()
        day = unique_day()
        numbers = [
            (await factory.create_invoice(tenant["id"], status="issued", issue_date=str(day)))[
                "invoice_number"
            ]
            for _ in range(3)
        ]
        prefix = f"INV-{day.year}-{day.strftime('%b').upper()}-{day.day:02d}"
        assert numbers == [f"{prefix}A", f"{prefix}B", f"{prefix}C"]
        next_day = day + timedelta(days=1)
        following = await factory.create_invoice(
            tenant["id"], status="issued", issue_date=str(next_day)
        )
        assert following["invoice_number"].endswith(f"-{next_day.day:02d}A")

    async def test_drafts_get_their_number_when_issued(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        draft = await factory.create_invoice(tenant["id"], issue_date=str(unique_day()))
        assert draft["invoice_number"] is None
        assert draft["status"] == "draft"
        issued = await client.post(f"{INVOICES}/{draft['id']}/issue", headers=tokens.admin())
        assert issued.status_code == 200
        assert issued.json()["data"]["invoice_number"].endswith("A")
        again = await client.post(f"{INVOICES}/{draft['id']}/issue", headers=tokens.admin())
        assert again.status_code == 409

    async def test_yearly_series_and_year_boundary(self, factory: Factory) -> None:
        await factory.put_settings(numbering_series="yearly_sequence", number_prefix="YR")
        try:
            tenant = await factory.create_tenant()
            year = unique_day().year + 1000
            first = await factory.create_invoice(
                tenant["id"], status="issued", issue_date=f"{year}-12-31"
            )
            second = await factory.create_invoice(
                tenant["id"], status="issued", issue_date=f"{year}-06-01"
            )
            third = await factory.create_invoice(
                tenant["id"], status="issued", issue_date=f"{year + 1}-01-01"
            )
        finally:
            await factory.put_settings(numbering_series="daily_letter", number_prefix="INV")
        assert first["invoice_number"] == f"YR-{year}-00001"
        assert second["invoice_number"] == f"YR-{year}-00002"
        assert third["invoice_number"] == f"YR-{year + 1}-00001"

    async def test_client_number_accepted_once_and_skipped_by_the_counter(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        other_tenant = await factory.create_tenant()
        day = unique_day()
        prefix = f"INV-{day.year}-{day.strftime('%b').upper()}-{day.day:02d}"
        taken = await factory.create_invoice(tenant["id"], invoice_number=f"{prefix}A")
        assert taken["invoice_number"] == f"{prefix}A"
        duplicate = await client.post(
            INVOICES,
            headers=tokens.admin(),
            json={"tenant_id": other_tenant["id"], "invoice_number": f"{prefix}A", "subtotal": "1"},
        )
        assert duplicate.status_code == 409
        assert duplicate.json()["error"]["code"] == "invoice_number_taken"
        auto = await factory.create_invoice(tenant["id"], status="issued", issue_date=str(day))
        assert auto["invoice_number"] == f"{prefix}B"

    async def test_fifty_concurrent_issues_get_fifty_consecutive_numbers(
        self, client: httpx.AsyncClient, tokens: Tokens, factory: Factory
    ) -> None:
        tenant = await factory.create_tenant()
        day = unique_day()
        body = {
            "tenant_id": tenant["id"],
            "status": "issued",
            "issue_date": str(day),
            "subtotal": "5",
        }
        responses = await asyncio.gather(
            *(client.post(INVOICES, headers=tokens.admin(), json=body) for _ in range(50))
        )
        assert all(response.status_code == 201 for response in responses), [
            r.text for r in responses if r.status_code != 201
        ]
        numbers = sorted(response.json()["data"]["invoice_number"] for response in responses)
        prefix = f"INV-{day.year}-{day.strftime('%b').upper()}-{day.day:02d}"
        assert numbers == sorted(f"{prefix}{day_letters(n)}" for n in range(1, 51))
