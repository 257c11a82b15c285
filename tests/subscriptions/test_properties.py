"""Property: three years of random subscriptions, anchors, plan changes and clock moves,
through the real API and the billing cycle's own advance step, bill exactly the day-weighted
prices.

For each example (one tenant, one subscription, prices with a 0 % rate so that credits to the
wallet are net amounts):

* every quote equals the change that follows it the same day, and the change bills exactly
  the quoted net (on an invoice now, on the next invoice, or as a wallet credit);
* the renewal invoices cover consecutive periods, each once, from the first billed period to
  the one the horizon falls in;
* what every period of the item was billed equals round(sum of the day-weighted prices) of
  that period, computed here by an independent day-by-day model; and the invoices' subtotals
  minus the wallet credits add up to the model's total, to the cent.
"""

from __future__ import annotations

import asyncio
import calendar
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from billing.config import Settings
from billing.core import clock
from billing.core.db import Database, libpq_database_url
from billing.main import create_app
from billing.providers.http import build_http_client
from billing.providers.registry import ProviderFactory, ProviderSettings
from billing.settings.service import settings as settings_service
from billing.subscriptions.cycle import CycleContext, CycleReport, advance_subscription
from billing.subscriptions.repository import Ref
from tests.conftest import OPERATOR_SELLER
from tests.fixtures.auth import Tokens
from tests.subscriptions.support import ADMIN

pytestmark = pytest.mark.slow

T = TypeVar("T")
HORIZON_DAYS = 3 * 365 + 1
MONTHS = {"month": 1, "quarter": 3, "year": 12}


# -- an independent model of what should be billed ----------------------------------------------


def _add_months(anchor: date, months: int, day: int) -> date:
    total = anchor.year * 12 + anchor.month - 1 + months
    year, month = total // 12, total % 12 + 1
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Model:
    interval: str
    count: int
    anchor: date
    anchor_day: int

    def boundary(self, k: int) -> date:
        if self.interval in MONTHS:
            return _add_months(self.anchor, MONTHS[self.interval] * self.count * k, self.anchor_day)
        step = (7 if self.interval == "week" else 1) * self.count
        return self.anchor + timedelta(days=step * k)

    def period(self, day: date) -> tuple[date, date]:
        k = 0
        while self.boundary(k) > day:
            k -= 1
        while self.boundary(k + 1) <= day:
            k += 1
        return self.boundary(k), self.boundary(k + 1)


def _model_anchor(interval: str, billing_start: date, anchor_day: int | None) -> tuple[date, int]:
    if anchor_day is None or interval not in MONTHS:
        return billing_start, billing_start.day
    day = billing_start
    while day.day != min(anchor_day, calendar.monthrange(day.year, day.month)[1]):
        day += timedelta(days=1)
    return day, anchor_day


def _round(value: Fraction) -> Decimal:
    cents = value * 100
    units, rest = divmod(abs(cents.numerator), cents.denominator)
    units += 1 if 2 * rest >= cents.denominator else 0
    return Decimal(-units if cents < 0 else units) / 100


# -- scenarios ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    offset: int
    use_b: bool
    quantity: Decimal
    behavior: str


@dataclass(frozen=True)
class Scenario:
    interval: str
    count: int
    timing: str
    scheme: str
    amount_a: Decimal
    amount_b: Decimal
    quantity: Decimal
    start: date
    anchor_day: int | None
    trial_days: int
    changes: tuple[Change, ...]
    cycles: tuple[int, ...]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    interval = draw(st.sampled_from(["month", "month", "quarter", "year", "week"]))
    count = (
        draw(st.integers(2, 4))
        if interval == "week"
        else draw(st.sampled_from([1, 1, 2]))
        if interval == "month"
        else 1
    )
    timing = draw(st.sampled_from(["in_advance", "in_arrears"]))
    scheme = draw(st.sampled_from(["per_unit", "flat"]))
    places = 4 if scheme == "per_unit" else 2
    amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999"), places=places)
    quantities = (
        st.decimals(min_value=1, max_value=40, places=1)
        if scheme == "per_unit"
        else st.just(Decimal(1))
    )
    behaviors = ["next_invoice", "none"] + (["invoice_now"] if timing == "in_advance" else [])
    changes = draw(
        st.lists(
            st.builds(
                Change,
                offset=st.integers(0, HORIZON_DAYS - 1),
                use_b=st.booleans(),
                quantity=quantities,
                behavior=st.sampled_from(behaviors),
            ),
            max_size=5,
        )
    )
    return Scenario(
        interval=interval,
        count=count,
        timing=timing,
        scheme=scheme,
        amount_a=draw(amounts),
        amount_b=draw(amounts),
        quantity=draw(quantities),
        start=draw(st.dates(min_value=date(2027, 1, 1), max_value=date(2027, 12, 31))),
        anchor_day=draw(st.none() | st.integers(1, 31)) if interval in MONTHS else None,
        trial_days=draw(st.sampled_from([0, 0, 0, 9, 31])),
        changes=tuple(sorted(changes, key=lambda c: c.offset)),
        cycles=tuple(sorted(draw(st.lists(st.integers(1, HORIZON_DAYS - 1), max_size=4)))),
    )


# -- the runner: the app and the cycle on their own event loop ----------------------------------


class Runner:
    def __init__(self, settings: Settings, tokens: Tokens) -> None:
        assert settings.database_url is not None
        self.url = settings.database_url
        self.loop = asyncio.new_event_loop()
        self.database = Database.connect(self.url, role=settings.app_role, pool_size=3)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings, self.database)),
            base_url="http://properties",
        )
        self.providers_http = build_http_client()
        database = self.database

        @asynccontextmanager
        async def transaction() -> AsyncIterator[AsyncSession]:
            async with database.sessionmaker() as session, session.begin():
                await clock.refresh(session)
                yield session

        self.context = CycleContext(
            transaction, ProviderFactory(ProviderSettings(), self.providers_http), settings
        )
        self.headers = tokens.admin("properties")
        self.zero_rate = ""

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        self.run(self.clock({"reset": True, "run_cycle": False}))
        self.run(self.client.aclose())
        self.run(self.providers_http.aclose())
        self.run(self.database.dispose())
        self.loop.close()

    async def call(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = await self.client.request(method, path, json=body, headers=self.headers)
        assert response.status_code == status, (path, body, response.text)
        return response.json()["data"] if response.content else None

    async def clock(self, body: dict[str, Any]) -> Any:
        return await self.call("POST", "/api/v1/test/clock", body)

    async def move_to(self, day: date) -> None:
        if clock.utcnow().date() < day:
            await self.clock({"now": f"{day.isoformat()}T12:00:00+00:00", "run_cycle": False})

    async def advance(self, subscription: Any) -> None:
        """What the cycle does for this subscription (other examples' are left alone)."""
        async with self.context.transaction() as session:
            current = await settings_service.get(session)
        today = clock.today_in(current.timezone)
        report = CycleReport(as_of=today)
        await advance_subscription(
            self.context,
            Ref(uuid.UUID(subscription["tenant_id"]), uuid.UUID(subscription["id"])),
            as_of=today,
            settings=current,
            report=report,
        )
        assert report.errors == []

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(libpq_database_url(self.url))
        try:
            return list(await connection.fetch(query, *args))
        finally:
            await connection.close()


@pytest.fixture(scope="module")
def runner(subs_settings: Settings, tokens: Tokens) -> Iterator[Runner]:
    runner = Runner(subs_settings, tokens)
    runner.run(
        runner.call(
            "PUT",
            f"{ADMIN}/settings",
            {
                "seller": OPERATOR_SELLER,
                "enabled_currencies": ["EUR"],
                "default_currency": "EUR",
                "timezone": "UTC",
            },
        )
    )
    rate = runner.run(
        runner.call(
            "POST",
            f"{ADMIN}/tax-rates",
            {"name": "Zero", "rate": "0", "category": "Z"},
            201,
        )
    )
    runner.zero_rate = rate["id"]
    yield runner
    runner.close()


async def _scenario(runner: Runner, scenario: Scenario) -> None:
    call = runner.call
    await runner.clock({"reset": True, "run_cycle": False})
    await runner.move_to(scenario.start)
    tenant = await call("POST", f"{ADMIN}/tenants", {"name": "P", "country_code": "KE"}, 201)
    product = await call(
        "POST",
        f"{ADMIN}/products",
        {"code": uuid.uuid4().hex, "name": "Plan", "unit_price": "0", "currency": "EUR"},
        201,
    )
    terms = {
        "product_id": product["id"],
        "interval": scenario.interval,
        "interval_count": scenario.count,
        "billing_timing": scenario.timing,
        "billing_scheme": scenario.scheme,
        "tax_rate_id": runner.zero_rate,
    }
    price_a = await call(
        "POST", f"{ADMIN}/prices", {**terms, "unit_amount": str(scenario.amount_a)}, 201
    )
    price_b = await call(
        "POST", f"{ADMIN}/prices", {**terms, "unit_amount": str(scenario.amount_b)}, 201
    )
    amounts = {price_a["id"]: scenario.amount_a, price_b["id"]: scenario.amount_b}
    body: dict[str, Any] = {
        "tenant_id": tenant["id"],
        "items": [{"price_id": price_a["id"], "quantity": str(scenario.quantity)}],
        "collection_method": "send_invoice",
        "trial_days": scenario.trial_days,
    }
    if scenario.anchor_day is not None:
        body["billing_anchor_day"] = scenario.anchor_day
    sub = await call("POST", f"{ADMIN}/subscriptions", body, 201)

    billing_start = scenario.start + timedelta(days=scenario.trial_days)
    anchor, anchor_day = _model_anchor(scenario.interval, billing_start, scenario.anchor_day)
    model = Model(scenario.interval, scenario.count, anchor, anchor_day)
    assert (sub["billing_anchor"], sub["billing_anchor_day"]) == (anchor.isoformat(), anchor_day)
    horizon = scenario.start + timedelta(days=HORIZON_DAYS)
    # (change date, effective date, price, quantity): the configuration of a day is the
    # latest change (by date, then order) already in effect.
    timeline = [(scenario.start, scenario.start, price_a["id"], scenario.quantity)]
    current = (price_a["id"], scenario.quantity)

    events = sorted(
        [(c.offset, 1, c) for c in scenario.changes] + [(o, 0, None) for o in scenario.cycles],
        key=lambda e: (e[0], e[1]),
    )
    for offset, _, change in events:
        day = scenario.start + timedelta(days=offset)
        await runner.move_to(day)
        await runner.advance(sub)
        if change is None:
            continue
        target = (price_b["id"] if change.use_b else price_a["id"], change.quantity)
        if target == current:
            continue
        before = await _upcoming(runner, tenant["id"], sub["id"])
        pending_before = await _pending(runner, sub["id"])
        quote = await call(
            "POST",
            f"{ADMIN}/proration/calculate",
            {
                "subscriber_id": tenant["id"],
                "new_service_id": target[0],
                "quantity": str(target[1]),
            },
        )
        wallet_before = await _wallet_credits(runner, tenant["id"])
        result = await call(
            "POST",
            f"{ADMIN}/subscriptions/{sub['id']}/change",
            {
                "price_id": target[0],
                "quantity": str(target[1]),
                "proration_behavior": change.behavior,
            },
        )
        net = Decimal(quote["net_amount_due"])
        in_trial = day < billing_start
        if change.behavior == "none" or in_trial:
            assert result["proration"] is None
            assert Decimal(result["pending_amount"]) == pending_before
        else:
            assert result["proration"] == quote
            if scenario.timing == "in_arrears":
                # Billed on the period-end invoice: it changes by exactly the quote.
                after = await _upcoming(runner, tenant["id"], sub["id"])
                assert before is not None
                assert after is not None
                assert after.subtotal - before.subtotal == net
            elif change.behavior == "next_invoice":
                assert Decimal(result["pending_amount"]) == pending_before + net
            else:
                due = pending_before + net
                if result["invoice_id"] is not None:
                    invoice = await call("GET", f"{ADMIN}/invoices/{result['invoice_id']}")
                    assert Decimal(invoice["subtotal"]) == due
                else:
                    credited = await _wallet_credits(runner, tenant["id"]) - wallet_before
                    assert credited == -due
                assert Decimal(result["pending_amount"]) == 0
        effective = day
        if change.behavior == "none" and day >= billing_start:
            effective = model.period(day)[1]
        timeline.append((day, effective, target[0], target[1]))
        current = target

    await runner.move_to(horizon)
    await runner.advance(sub)
    await call(
        "POST",
        f"{ADMIN}/subscriptions/{sub['id']}/cancel",
        {"proration_behavior": "none"},
    )

    # The model, day by day.
    def per_period(day: date) -> Fraction:
        # The latest change in effect: by change date, then by order within a day.
        in_effect = [(t, order) for order, t in enumerate(timeline) if t[1] <= day]
        (_, _, price_id, quantity), _ = max(in_effect, key=lambda pair: (pair[0][0], pair[1]))
        amount = amounts[price_id]
        return Fraction(amount * quantity if scenario.scheme == "per_unit" else amount)

    expected: dict[date, Decimal] = {}
    period_start, period_end = model.period(billing_start)
    while True:
        if scenario.timing == "in_advance" and period_start > horizon:
            break
        if scenario.timing == "in_arrears" and period_end > horizon:
            break
        days = (period_end - period_start).days
        total = Fraction(0)
        day = max(period_start, billing_start)
        while day < period_end:
            total += per_period(day) / days
            day += timedelta(days=1)
        expected[period_start] = _round(total)
        period_start, period_end = period_end, model.period(period_end)[1]

    charged = {
        row["period_start"]: row["amount"]
        for row in await runner.fetch(
            "SELECT period_start, sum(amount) AS amount FROM subscription_charges"
            " WHERE subscription_id = $1::uuid GROUP BY period_start",
            sub["id"],
        )
    }
    assert charged == expected
    records = await call("GET", f"{ADMIN}/subscriptions/{sub['id']}/invoices?per_page=500")
    renewals = sorted(
        (date.fromisoformat(r["period_start"]), date.fromisoformat(r["period_end"]))
        for r in records
        if r["kind"] == "renewal"
    )
    assert [start for start, _ in renewals] == sorted(expected)  # each period once, none skipped
    assert all(end == following for (_, end), (following, _) in pairwise(renewals))
    subtotals = Decimal(0)
    for record in records:
        invoice = await call("GET", f"{ADMIN}/invoices/{record['invoice_id']}")
        subtotals += Decimal(invoice["subtotal"])
    credits = await _wallet_credits(runner, tenant["id"])
    assert subtotals - credits == sum(expected.values(), Decimal(0))


@dataclass(frozen=True)
class Upcoming:
    subtotal: Decimal


async def _upcoming(runner: Runner, tenant_id: str, subscription_id: str) -> Upcoming | None:
    response = await runner.client.get(
        f"{ADMIN}/tenants/{tenant_id}/upcoming",
        params={"subscription_id": subscription_id},
        headers=runner.headers,
    )
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return Upcoming(subtotal=Decimal(data["subtotal"]))


async def _pending(runner: Runner, subscription_id: str) -> Decimal:
    """Charges waiting for the next invoice (read behind the API)."""
    rows = await runner.fetch(
        "SELECT coalesce(sum(amount), 0) AS total FROM subscription_charges"
        " WHERE subscription_id = $1::uuid AND state = 'pending'",
        subscription_id,
    )
    return Decimal(rows[0]["total"])


async def _wallet_credits(runner: Runner, tenant_id: str) -> Decimal:
    rows = await runner.fetch(
        "SELECT coalesce(sum(amount), 0) AS total FROM wallet_entries"
        " WHERE tenant_id = $1::uuid AND kind = 'subscription_credit'",
        tenant_id,
    )
    return Decimal(rows[0]["total"])


@settings(
    # BILLING_PROPERTY_EXAMPLES=200 for a deeper run; each example is a 3-year subscription.
    max_examples=int(os.environ.get("BILLING_PROPERTY_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(scenarios())
def test_three_years_bill_exactly_the_day_weighted_prices(
    runner: Runner, scenario: Scenario
) -> None:
    runner.run(_scenario(runner, scenario))
