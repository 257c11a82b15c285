"""Metrics, metered prices and usage reports through the real routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx

from tests.subscriptions.support import ADMIN, BILLING, Billing

USAGE_EVENTS = "/api/v1/usage-events"


class Metering:
    """Usage metering on top of the subscription helpers."""

    def __init__(self, billing: Billing) -> None:
        self.billing = billing
        self.http = billing.http
        self.tokens = billing.tokens

    async def metric(self, aggregation: str = "count", **fields: Any) -> Any:
        body = {
            "code": f"m_{uuid.uuid4().hex[:10]}",
            "name": "Metric",
            "aggregation": aggregation,
            **fields,
        }
        return await self.billing.post(f"{ADMIN}/billable-metrics", body, 201)

    async def metered_price(self, metric: Any, **fields: Any) -> Any:
        fields.setdefault("unit_amount", "0.10")
        return await self.billing.price(billable_metric_id=metric["id"], **fields)

    async def key(self, tenant_id: str, scopes: list[str] | None = None) -> dict[str, str]:
        body = {
            "name": f"usage {uuid.uuid4().hex[:6]}",
            "scopes": scopes or ["billing:write", "billing:read"],
            "tenant_id": tenant_id,
        }
        created = await self.billing.post(f"{ADMIN}/api-keys", body, 201)
        return {"Authorization": f"Bearer {created['secret']}"}

    async def report(self, headers: dict[str, str], body: dict[str, Any], status: int = 200) -> Any:
        response = await self.http.post(USAGE_EVENTS, json=body, headers=headers)
        assert response.status_code == status, response.text
        return response.json()["data" if status == 200 else "error"]

    async def send(
        self, headers: dict[str, str], events: list[dict[str, Any]], **fields: Any
    ) -> Any:
        return await self.report(headers, {"events": events, **fields})

    async def usage(self, tenant_id: str) -> Any:
        response = await self.http.get(
            f"{BILLING}/usage", headers=self.tokens.owner(uuid.UUID(tenant_id))
        )
        assert response.status_code == 200, response.text
        return response.json()["data"]

    async def raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, path, **kwargs)


def event(
    code: str, transaction_id: str | None = None, when: datetime | None = None, **properties: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "transaction_id": transaction_id or uuid.uuid4().hex,
        "code": code,
        "properties": properties,
    }
    if when is not None:
        body["timestamp"] = when.isoformat()
    return body


async def move_clock(billing: Billing, instant: datetime) -> None:
    """Move the service clock to ``instant`` (forward only), without queuing a cycle."""
    response = await billing.http.post(
        "/api/v1/test/clock", json={"now": instant.isoformat(), "run_cycle": False}
    )
    assert response.status_code == 200, response.text
