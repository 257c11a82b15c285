"""Billable metrics and usage reports over HTTP: what is recorded, what is refused."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.subscriptions.support import ADMIN, Billing
from tests.usage.support import USAGE_EVENTS, Metering, event

pytestmark = pytest.mark.usefixtures("clock_back")


@pytest.fixture
def metering(billing: Billing) -> Metering:
    return Metering(billing)


async def test_metric_lifecycle(metering: Metering, billing: Billing) -> None:
    created = await metering.metric("sum", property="gb", filters={"region": ["eu", "us"]})
    assert created["aggregation"] == "sum"
    assert created["filters"] == {"region": ["eu", "us"]}
    listed = await billing.get(f"{ADMIN}/billable-metrics", per_page=500)
    assert created["id"] in {row["id"] for row in listed}
    renamed = await billing.ok(
        await billing.http.patch(
            f"{ADMIN}/billable-metrics/{created['id']}",
            json={"name": "Storage"},
            headers=billing.admin,
        )
    )
    assert renamed["name"] == "Storage"
    frozen = await billing.http.patch(
        f"{ADMIN}/billable-metrics/{created['id']}",
        json={"aggregation": "max"},
        headers=billing.admin,
    )
    assert frozen.status_code == 409
    assert frozen.json()["error"]["code"] == "billable_metric_frozen"
    taken = await billing.http.post(
        f"{ADMIN}/billable-metrics",
        json={"code": created["code"], "name": "x", "aggregation": "count"},
        headers=billing.admin,
    )
    assert taken.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"aggregation": "sum"}, "property"),
        ({"aggregation": "count", "property": "x"}, "property"),
        ({"aggregation": "median", "property": "x"}, "aggregation"),
    ],
)
async def test_metric_definition_refused(
    metering: Metering, billing: Billing, body: dict[str, Any], field: str
) -> None:
    response = await billing.http.post(
        f"{ADMIN}/billable-metrics",
        json={"code": f"c{uuid.uuid4().hex[:8]}", "name": "x", **body},
        headers=billing.admin,
    )
    assert response.status_code == 422, response.text
    assert field in response.text


async def test_tenant_metrics_are_admin_only(metering: Metering, billing: Billing) -> None:
    tenant = await billing.tenant()
    response = await billing.http.get(
        f"{ADMIN}/billable-metrics", headers=billing.tokens.owner(uuid.UUID(tenant["id"]))
    )
    assert response.status_code == 403


async def test_single_and_batch_reports_with_duplicates(
    metering: Metering, billing: Billing
) -> None:
    tenant = await billing.tenant()
    metric = await metering.metric()
    key = await metering.key(tenant["id"])
    one = await metering.report(key, event(metric["code"], "t-1"))
    assert one == {"tenant_id": tenant["id"], "received": 1, "recorded": 1, "duplicates": []}
    batch = await metering.send(
        key,
        [event(metric["code"], "t-1"), event(metric["code"], "t-2"), event(metric["code"], "t-2")],
    )
    assert batch["recorded"] == 1
    assert batch["duplicates"] == ["t-1", "t-2"]


async def test_staff_name_the_tenant(metering: Metering, billing: Billing) -> None:
    tenant = await billing.tenant()
    metric = await metering.metric()
    missing = await metering.report(billing.admin, event(metric["code"]), status=422)
    assert missing["code"] == "usage_tenant_missing"
    recorded = await metering.report(
        billing.admin, {"tenant_id": tenant["id"], **event(metric["code"])}
    )
    assert recorded["recorded"] == 1
    unknown = await metering.report(
        billing.admin, {"tenant_id": str(uuid.uuid4()), **event(metric["code"])}, status=404
    )
    assert unknown["code"] == "tenant_not_found"


async def test_other_tenants_transaction_ids_do_not_collide(
    metering: Metering, billing: Billing
) -> None:
    first, second = await billing.tenant(), await billing.tenant()
    metric = await metering.metric()
    shared = [event(metric["code"], f"tx-{i}") for i in range(3)]
    assert (await metering.send(await metering.key(first["id"]), shared))["recorded"] == 3
    assert (await metering.send(await metering.key(second["id"]), shared))["recorded"] == 3


async def test_a_tenant_key_cannot_report_for_another_tenant(
    metering: Metering, billing: Billing
) -> None:
    first, second = await billing.tenant(), await billing.tenant()
    metric = await metering.metric()
    key = await metering.key(first["id"])
    refused = await metering.report(
        key, {"tenant_id": second["id"], "events": [event(metric["code"])]}, status=404
    )
    assert refused["code"] == "tenant_not_found"
    reader = await metering.key(first["id"], scopes=["billing:read"])
    response = await billing.http.post(
        USAGE_EVENTS, json={"events": [event(metric["code"])]}, headers=reader
    )
    assert response.status_code == 403
    anonymous = await billing.http.post(USAGE_EVENTS, json={"events": [event(metric["code"])]})
    assert anonymous.status_code == 401


async def test_batch_limit(metering: Metering, billing: Billing) -> None:
    tenant = await billing.tenant()
    metric = await metering.metric()
    key = await metering.key(tenant["id"])
    events = [event(metric["code"]) for _ in range(1001)]
    response = await billing.http.post(USAGE_EVENTS, json={"events": events}, headers=key)
    assert response.status_code == 422
    assert "events" in response.text
    accepted = await metering.send(key, events[:1000])
    assert accepted["recorded"] == 1000


async def test_invalid_events_record_nothing(metering: Metering, billing: Billing) -> None:
    tenant = await billing.tenant()
    storage = await metering.metric("sum", property="gb")
    key = await metering.key(tenant["id"])
    good = event(storage["code"], "good", gb=5)
    response = await billing.http.post(
        USAGE_EVENTS,
        content=(
            f'{{"events": [{json.dumps(good)}, {{"transaction_id": "huge", '
            f'"code": "{storage["code"]}", '
            '"properties": {"gb": 1234567890123456789012345678901234567890}}]}'
        ),
        headers={**key, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "usage_events_invalid"
    assert error["details"][0]["field"] == "events[1].properties.gb"
    again = await metering.send(key, [good])
    assert again["recorded"] == 1  # the refused batch stored nothing


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1.1234567", "decimals"),
        ("-1", "negative"),
        ('"abc"', "number"),
        ("true", "number"),
        ("NaN", None),
    ],
)
async def test_numeric_properties_are_checked(
    metering: Metering, billing: Billing, value: str, problem: str | None
) -> None:
    tenant = await billing.tenant()
    storage = await metering.metric("sum", property="gb")
    key = await metering.key(tenant["id"])
    body = (
        f'{{"transaction_id": "x", "code": "{storage["code"]}", "properties": {{"gb": {value}}}}}'
    )
    response = await billing.http.post(
        USAGE_EVENTS, content=body, headers={**key, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    if problem is not None:
        assert problem in response.json()["error"]["message"]


async def test_unknown_inactive_and_future(metering: Metering, billing: Billing) -> None:
    tenant = await billing.tenant()
    metric = await metering.metric()
    retired = await metering.metric(active=False)
    key = await metering.key(tenant["id"])
    future = datetime.now(UTC) + timedelta(hours=1)
    error = await metering.report(
        key,
        {
            "events": [
                event("no-such-metric"),
                event(retired["code"]),
                event(metric["code"], when=future),
            ]
        },
        status=422,
    )
    assert [d["type"] for d in error["details"]] == [
        "metric_unknown",
        "metric_unknown",
        "timestamp_in_future",
    ]
