"""Shared helpers of the Pesapal plugin tests."""

from __future__ import annotations

from typing import Any

import httpx

from billing.providers.http import RetryPolicy

CONSUMER_KEY = "fake-pesapal-consumer-key"
CONSUMER_SECRET = "fake-pesapal-consumer-secret"
FAST_RETRY = RetryPolicy(attempts=3, initial_wait_s=0.01, max_wait_s=0.02)


class Control:
    """Synchronous helper around the fake's ``/__control`` endpoints."""

    def __init__(self, base_url: str, client: httpx.Client) -> None:
        self.base_url = base_url
        # One client for the whole session: building one per call costs an SSL context each.
        self.client = client

    def post(self, endpoint: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.base_url}/__control/{endpoint}"
        response = self.client.post(url, json=body or {})
        response.raise_for_status()
        return response.json()

    def get(self, endpoint: str, **params: str) -> Any:
        response = self.client.get(f"{self.base_url}/__control/{endpoint}", params=params)
        response.raise_for_status()
        return response.json()

    def requests(self, path: str = "") -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("requests", path=path)
        return result
