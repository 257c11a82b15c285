"""Signed webhook requests per the Standard Webhooks specification (``standardwebhooks``).

The body is the event as JSON: ``{id, type, timestamp, sequence, tenant_id, object, data}``
where ``data`` is the object's API representation when the event happened. Headers
``webhook-id`` (the event id: the same on every retry, so receivers can drop duplicates),
``webhook-timestamp`` (wall-clock seconds: receivers compare it with their own clock) and
``webhook-signature``, which carries one ``v1,`` signature per valid secret: during a
rotation's grace period the previous secret signs too, so receivers can switch at leisure.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from standardwebhooks import Webhook

from billing.core.clock import wall_now
from billing.delivery.transport import AttemptResult
from billing.models.delivery import OutboundEvent

USER_AGENT = "billing-webhooks/1"


def event_body(event: OutboundEvent) -> bytes:
    """The JSON body of an event (the same bytes on every attempt)."""
    document = {
        "id": str(event.id),
        "type": event.type.value,
        "timestamp": event.created_at.isoformat(),
        "sequence": event.sequence,
        "tenant_id": str(event.tenant_id),
        "object": event.object_type,
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A webhook ready to send."""

    url: str
    body: bytes
    headers: dict[str, str]


def sign(url: str, message_id: str, body: bytes, secrets: Sequence[str]) -> SignedRequest:
    """The request for ``body`` signed with each of ``secrets`` (current first)."""
    timestamp = wall_now()
    signatures = " ".join(
        Webhook(secret).sign(msg_id=message_id, timestamp=timestamp, data=body)
        for secret in secrets
    )
    return SignedRequest(
        url=url,
        body=body,
        headers={
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": signatures,
        },
    )


async def post(
    http: httpx.AsyncClient, request: SignedRequest, *, timeout_seconds: float
) -> AttemptResult:
    """POST the webhook; any 2xx acknowledges it, anything else is retried later."""
    try:
        response = await http.post(
            request.url,
            content=request.body,
            headers=request.headers,
            timeout=timeout_seconds,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        return AttemptResult.failed(f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__)
    except (httpx.InvalidURL, ValueError) as exc:
        # A URL stored before endpoints were checked as the client parses them (an IDNA
        # error is a ValueError): no retry can send it, and the job must not fail itself.
        return AttemptResult.failed(f"The endpoint URL is invalid: {exc}"[:300], permanent=True)
    if 200 <= response.status_code < 300:
        return AttemptResult(ok=True, response_code=response.status_code)
    return AttemptResult.failed(
        f"The endpoint answered {response.status_code}.", response_code=response.status_code
    )
