"""A thin Mollie v2 REST client: JSON over the shared HTTP helper, typed errors.

Every POST carries an ``Idempotency-Key``: Mollie replays the first answer for the same key
within an hour (``Idempotent-Replayed: true``), which makes a retried recurring charge or partial
refund safe (https://docs.mollie.com/reference/api-idempotency). Keys are UUIDs, as Mollie
recommends, derived deterministically from our own attempt or refund id.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from billing.providers.base import ProviderError, ProviderKey
from billing.providers.http import json_object, send
from billing.providers.mollie.config import MollieConfig

# Namespace of the UUIDv5 idempotency keys; changing it would re-key every in-flight request.
_KEY_NAMESPACE = uuid.UUID("6f1f6d7e-5b2a-4c57-9a51-0e3d2b8f4c11")

# Mollie's errors have a status, a title and a detail, but no code: name them by status.
_CODES: Mapping[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    410: "gone",
    415: "unsupported_media_type",
    422: "unprocessable_entity",
    429: "rate_limited",
}


def idempotency_key(purpose: str, our_id: str) -> str:
    """A stable UUID for one of our operations, e.g. ``("payment", attempt_id)``."""
    return str(uuid.uuid5(_KEY_NAMESPACE, f"{purpose}:{our_id}"))


def mollie_error_details(response: httpx.Response) -> tuple[str, str]:
    """``(code, message)`` of a Mollie error answer; the offending ``field`` is appended."""
    code = _CODES.get(response.status_code, f"http_{response.status_code}")
    body = json_object(response) or {}
    detail = body.get("detail") or body.get("title") or response.reason_phrase or "error"
    field = body.get("field")
    message = f"{detail} (field {field})" if isinstance(field, str) else str(detail)
    return code, message


class MollieClient:
    """Calls Mollie with the operator's API key over the shared ``httpx.AsyncClient``."""

    def __init__(self, config: MollieConfig, http: httpx.AsyncClient) -> None:
        self._config = config
        self._http = http
        self._key = config.api_key.get_secret_value()

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Send one call to ``path`` (``/v2/...``) and return the JSON object (``{}`` on 204).

        Only GETs are retried on transport errors; POSTs rely on the caller repeating them with
        the same ``idempotency_key``.

        Raises:
            ProviderHTTPError: Mollie refused the request (code from the HTTP status).
            ProviderUnavailableError: transport failure, timeout or 5xx.
        """
        if not self._key:
            raise ProviderError(
                ProviderKey.MOLLIE, "provider_not_configured", "BILLING_MOLLIE_API_KEY is not set"
            )
        headers = {"Authorization": f"Bearer {self._key}", "Accept": "application/hal+json"}
        if method.upper() == "POST":
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        response = await send(
            self._http,
            ProviderKey.MOLLIE,
            method,
            f"{self._config.api_base}{path}",
            idempotent=method.upper() == "GET",
            params=params,
            json=body,
            headers=headers,
            secrets=[self._key],
            error_details=mollie_error_details,
        )
        if response.status_code == 204 or not response.content:
            return {}
        data = json_object(response)
        if data is None:
            raise ProviderError(
                ProviderKey.MOLLIE, "invalid_response", f"{method} {path}: not a JSON object"
            )
        return data
