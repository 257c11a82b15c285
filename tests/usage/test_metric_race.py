"""Creating the same metric code at once: one is created, the others are 409
``billable_metric_code_taken`` (a request that passed the check before the other committed
met the unique index and answered 500)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.subscriptions.support import ADMIN, Billing

pytestmark = pytest.mark.usefixtures("clock_back")


async def test_concurrent_creates_of_one_code(billing: Billing) -> None:
    for _ in range(5):
        code = f"race_{uuid.uuid4().hex[:8]}"
        responses = await asyncio.gather(
            *[
                billing.http.post(
                    f"{ADMIN}/billable-metrics",
                    json={"code": code, "name": "Calls", "aggregation": "count"},
                    headers=billing.admin,
                )
                for _ in range(6)
            ]
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201, 409, 409, 409, 409, 409], [r.text for r in responses]
        for response in responses:
            if response.status_code == 409:
                assert response.json()["error"]["code"] == "billable_metric_code_taken"
        listed = await billing.get(f"{ADMIN}/billable-metrics", per_page=500)
        assert [row["code"] for row in listed].count(code) == 1
