"""Properties of usage billing.

* For random event streams (repeated transaction ids with other contents, late events,
  out-of-order timestamps, batches arriving over the period and during the grace period after
  it), the quantity each metric's renewal invoice bills equals a straightforward recomputation
  from the distinct events (first arrival wins) counted in the period (timestamp when on time,
  arrival when later than the grace period), through the real API and the billing cycle.
* Tier pricing: graduated lines split the quantity across the tiers and cost what an
  independent tier-by-tier sum costs; volume prices every unit at the tier reached; package
  prices started packages; amounts never decrease with usage for graduated and package.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.config import Settings
from billing.core.money import round_money
from billing.metering.pricing import Tier, UsagePrice, amount_of, price_lines
from billing.models.usage import UsageModel
from tests.conftest import OPERATOR_SELLER
from tests.fixtures.auth import Tokens
from tests.subscriptions.support import ADMIN
from tests.subscriptions.test_properties import Runner

GRACE = timedelta(minutes=60)
START = datetime(2031, 3, 1, tzinfo=UTC)
END = datetime(2031, 4, 1, tzinfo=UTC)
BILLED_AT = END + timedelta(hours=3)
AGGREGATIONS = ("count", "sum", "max", "unique_count", "latest")


# -- the independent recomputation ---------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    transaction_id: str
    metric: int
    timestamp: datetime
    gb: Decimal
    user: str
    region: str


def expected(arrivals: list[tuple[datetime, list[Sent]]]) -> dict[int, Decimal]:
    """Each metric's quantity for March, recomputed from the events as sent."""
    first: dict[str, tuple[datetime, Sent]] = {}
    for arrival, batch in arrivals:
        for sent in batch:
            first.setdefault(sent.transaction_id, (arrival, sent))
    counted: dict[int, list[Sent]] = {index: [] for index in range(len(AGGREGATIONS))}
    for arrival, sent in first.values():
        effective = sent.timestamp if arrival - sent.timestamp <= GRACE else arrival
        if START <= effective < END:
            counted[sent.metric].append(sent)
    count = [s for s in counted[0] if s.region == "eu"]  # the count metric filters on region
    latest = max(counted[4], key=lambda s: (s.timestamp, s.transaction_id), default=None)
    return {
        0: Decimal(len(count)),
        1: sum((s.gb for s in counted[1]), Decimal(0)),
        2: max((s.gb for s in counted[2]), default=Decimal(0)),
        3: Decimal(len({s.user for s in counted[3]})),
        4: latest.gb if latest else Decimal(0),
    }


# -- the streams ---------------------------------------------------------------------------

HOURS = int((BILLED_AT - START).total_seconds() // 3600)


@st.composite
def streams(draw: st.DrawFn) -> list[tuple[datetime, list[Sent]]]:
    pool = [f"tx-{i}" for i in range(draw(st.integers(3, 25)))]
    arrival_hours = sorted(
        draw(st.lists(st.integers(0, HOURS - 1), min_size=1, max_size=6, unique=True))
    )
    arrivals = []
    for hour in arrival_hours:
        arrival = START + timedelta(hours=hour, minutes=draw(st.integers(1, 59)))
        batch = []
        for _ in range(draw(st.integers(1, 8))):
            # Up to three days before the arrival: on time, late, or before the period.
            age = timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
            batch.append(
                Sent(
                    transaction_id=draw(st.sampled_from(pool)),
                    metric=draw(st.integers(0, len(AGGREGATIONS) - 1)),
                    timestamp=arrival - age,
                    gb=Decimal(draw(st.integers(0, 10**6))) / 100,
                    user=draw(st.sampled_from(["u1", "u2", "u3", "u4"])),
                    region=draw(st.sampled_from(["eu", "us"])),
                )
            )
        arrivals.append((arrival, batch))
    return arrivals


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
                "subscriptions": {"usage_grace_minutes": 60},
            },
        )
    )
    yield runner
    runner.close()


async def _bill(runner: Runner, arrivals: list[tuple[datetime, list[Sent]]]) -> dict[int, Decimal]:
    call = runner.call
    await runner.clock({"reset": True, "run_cycle": False})
    await runner.clock({"now": START.replace(hour=0).isoformat(), "run_cycle": False})
    tenant = await call("POST", f"{ADMIN}/tenants", {"name": "P", "country_code": "KE"}, 201)
    product = await call(
        "POST",
        f"{ADMIN}/products",
        {"code": uuid.uuid4().hex, "name": "Usage", "unit_price": "0", "currency": "EUR"},
        201,
    )
    codes, prices = [], []
    for aggregation in AGGREGATIONS:
        body: dict[str, Any] = {
            "code": f"m-{uuid.uuid4().hex[:12]}",
            "name": aggregation,
            "aggregation": aggregation,
        }
        if aggregation == "count":
            body["filters"] = {"region": ["eu"]}
        else:
            body["property"] = "user" if aggregation == "unique_count" else "gb"
        metric = await call("POST", f"{ADMIN}/billable-metrics", body, 201)
        codes.append(metric["code"])
        prices.append(
            await call(
                "POST",
                f"{ADMIN}/prices",
                {
                    "product_id": product["id"],
                    "unit_amount": "1",
                    "interval": "month",
                    "billable_metric_id": metric["id"],
                },
                201,
            )
        )
    subscription = await call(
        "POST",
        f"{ADMIN}/subscriptions",
        {
            "tenant_id": tenant["id"],
            "items": [{"price_id": price["id"], "quantity": "1"} for price in prices],
            "collection_method": "send_invoice",
        },
        201,
    )
    for arrival, batch in arrivals:
        await runner.clock({"now": arrival.isoformat(), "run_cycle": False})
        events = [
            {
                "transaction_id": sent.transaction_id,
                "code": codes[sent.metric],
                "timestamp": sent.timestamp.isoformat(),
                "properties": {"gb": str(sent.gb), "user": sent.user, "region": sent.region},
            }
            for sent in batch
        ]
        await call("POST", "/api/v1/usage-events", {"tenant_id": tenant["id"], "events": events})
    await runner.clock({"now": BILLED_AT.isoformat(), "run_cycle": False})
    await runner.advance(subscription)
    records = await call("GET", f"{ADMIN}/subscriptions/{subscription['id']}/invoices")
    billed = {index: Decimal(0) for index in range(len(AGGREGATIONS))}
    for record in records:
        invoice = await call("GET", f"{ADMIN}/invoices/{record['invoice_id']}")
        for item in invoice["items"]:
            info = item["variant_info"] or {}
            if info.get("charge") == "usage":
                assert info["usage_from"] == START.isoformat()
                assert info["usage_to"] == END.isoformat()
                billed[codes.index(info["metric"])] += Decimal(item["quantity"])
    return billed


@settings(
    max_examples=int(os.environ.get("BILLING_PROPERTY_EXAMPLES", "10")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(streams())
def test_billed_quantity_is_the_recomputation_of_the_distinct_events(
    runner: Runner, arrivals: list[tuple[datetime, list[Sent]]]
) -> None:
    assert runner.run(_bill(runner, arrivals)) == expected(arrivals)


# -- tier pricing ----------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=100, places=3, allow_nan=False)
quantities = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False)


@st.composite
def tiers(draw: st.DrawFn) -> tuple[Tier, ...]:
    bounds = sorted(draw(st.lists(st.integers(1, 10**5), min_size=0, max_size=5, unique=True)))
    made = [
        Tier(Decimal(bound), draw(amounts), round_money(draw(amounts), "EUR")) for bound in bounds
    ]
    return (*made, Tier(None, draw(amounts), round_money(draw(amounts), "EUR")))


@given(tiers(), quantities)
def test_graduated_splits_the_quantity_across_the_tiers(
    tiers: tuple[Tier, ...], quantity: Decimal
) -> None:
    price = UsagePrice(UsageModel.GRADUATED, tiers=tiers)
    lines = price_lines(price, quantity)
    units = [line for line in lines if not line.label.startswith("Flat fee")]
    assert sum((line.quantity for line in units), Decimal(0)) == quantity
    expected_total = Decimal(0)
    lower = Decimal(0)
    for tier in tiers:
        upper = tier.up_to if tier.up_to is not None else quantity
        inside = max(Decimal(0), min(quantity, upper) - lower)
        if inside > 0:
            expected_total += round_money(inside * tier.unit_amount, "EUR") + tier.flat_amount
        lower = max(lower, upper)
    assert amount_of(lines, "EUR") == expected_total


@given(tiers(), quantities)
def test_volume_prices_every_unit_at_the_tier_reached(
    tiers: tuple[Tier, ...], quantity: Decimal
) -> None:
    lines = price_lines(UsagePrice(UsageModel.VOLUME, tiers=tiers), quantity)
    if quantity == 0:
        assert lines == []
        return
    reached = next(t for t in tiers if t.up_to is None or quantity <= t.up_to)
    assert lines[0].quantity == quantity
    assert lines[0].unit_price == reached.unit_amount
    assert amount_of(lines, "EUR") == (
        round_money(quantity * reached.unit_amount, "EUR") + reached.flat_amount
    )


@given(
    amounts,
    st.decimals(min_value=Decimal("0.5"), max_value=1000, places=1),
    quantities,
    quantities,
)
def test_package_and_graduated_never_cost_less_for_more(
    unit: Decimal, size: Decimal, first: Decimal, second: Decimal
) -> None:
    low, high = sorted((first, second))
    package = UsagePrice(UsageModel.PACKAGE, unit_amount=unit, package_size=size)
    for line in price_lines(package, high):
        assert line.quantity == (high / size).to_integral_value(rounding=ROUND_CEILING)
        assert line.quantity * size >= high
    assert amount_of(price_lines(package, low), "EUR") <= amount_of(
        price_lines(package, high), "EUR"
    )
    per_unit = UsagePrice(UsageModel.PER_UNIT, unit_amount=unit)
    assert amount_of(price_lines(per_unit, high), "EUR") == round_money(high * unit, "EUR")


@given(tiers(), quantities, quantities)
def test_graduated_is_monotonic(tiers: tuple[Tier, ...], first: Decimal, second: Decimal) -> None:
    low, high = sorted((first, second))
    price = UsagePrice(UsageModel.GRADUATED, tiers=tiers)
    assert amount_of(price_lines(price, low), "EUR") <= amount_of(price_lines(price, high), "EUR")
