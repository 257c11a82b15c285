"""Stripe-style idempotency for POST requests.

A key is claimed with one ``INSERT ... ON CONFLICT`` inside the request's transaction (taking
over an expired row of the key), after authentication and authorization have passed (a refused
request never claims or replays). A concurrent duplicate blocks on the unique index until the
first transaction ends: if it committed, the duplicate replays the stored response; if it rolled
back (an error), the key is free again and the duplicate runs. The stored response is written in
the same transaction as the effect, so a replay can never describe an effect that did not happen.

A key belongs to the whole principal (kind, role, tenant or reseller, subject) and to the
request's method and path: the same key under another principal or on another route is another
key, so a replay only ever returns a body its caller obtained itself. Row-level security shows a
transaction only the rows of the principal it claimed for. Stored bodies are encrypted with the
deployment's keys (they may hold API key secrets, COD codes or client secrets). Keys are kept at
least ``BILLING_IDEMPOTENCY_TTL_HOURS`` (24 h).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import Request, Response
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from billing.core.crypto import DecryptionError, Encryptor
from billing.core.errors import Conflict, Unprocessable
from billing.models.idempotency import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# How long a duplicate waits for the first request before giving up with 409.
LOCK_TIMEOUT = "15s"


class IdempotencyKeyMismatch(Conflict):
    """The key was used before with a different request."""

    code = "idempotency_key_mismatch"
    message = "This Idempotency-Key was already used with a different request."


class IdempotencyKeyInUse(Conflict):
    """A request with the same key is still being processed."""

    code = "idempotency_key_in_use"
    message = "A request with this Idempotency-Key is still in progress; retry shortly."


class InvalidIdempotencyKey(Unprocessable):
    """The header is empty or too long."""

    code = "idempotency_key_invalid"
    message = f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters."


class IdempotentReplay(Exception):
    """Raised to short-circuit a request with the stored response of its first execution."""

    def __init__(self, response: Response) -> None:
        super().__init__("idempotent replay")
        self.response = response


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """A key this request owns; its response is stored (encrypted) before commit."""

    principal_key: str
    method: str
    path: str
    key: str
    encryptor: Encryptor


def request_fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """SHA-256 of the request; JSON bodies are canonicalised so key order does not matter."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _claim_statement() -> ReturningInsert[tuple[str, str]]:
    """Claim the key in one statement: insert it, or take over an expired row of it (a key is
    reusable past every retention promise); a live row is left alone and nothing returns.

    Each returned row also lifts the lock timeout the claim waited under, so the request's own
    statements run without it and a claim costs one round trip after the settings.
    """
    row = insert(IdempotencyRecord).values(
        principal_key=bindparam("principal_key"),
        key=bindparam("key"),
        method=bindparam("method"),
        path=bindparam("path"),
        request_hash=bindparam("request_hash"),
    )
    return row.on_conflict_do_update(
        index_elements=[
            IdempotencyRecord.principal_key,
            IdempotencyRecord.method,
            IdempotencyRecord.path,
            IdempotencyRecord.key,
        ],
        set_={
            "request_hash": row.excluded.request_hash,
            "status_code": None,
            "response_headers": None,
            "response_body": None,
            "created_at": func.now(),
        },
        where=IdempotencyRecord.created_at < bindparam("expired_before"),
    ).returning(IdempotencyRecord.key, func.set_config("lock_timeout", "0", True))


# Built once: writes claim a key on every request that carries one.
CLAIM = _claim_statement()
CLAIM_SETTINGS = text(
    "SELECT set_config('app.principal', :principal, true),"
    f" set_config('lock_timeout', '{LOCK_TIMEOUT}', true)"
)
"""Whose keys the transaction sees (the table's policy), and how long a duplicate waits."""


async def claim(
    session: AsyncSession,
    request: Request,
    *,
    principal_key: str,
    ttl_hours: int,
    encryptor: Encryptor,
) -> IdempotencyClaim | None:
    """Claim the request's ``Idempotency-Key`` for ``principal_key`` or raise a replay/conflict.

    Returns ``None`` when the request carries no key.

    Raises:
        IdempotentReplay: the key was completed before with the same request.
        IdempotencyKeyMismatch: the key was used with a different request.
        IdempotencyKeyInUse: the first request is still running after ``LOCK_TIMEOUT``.
        InvalidIdempotencyKey: the header is malformed.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidIdempotencyKey
    method, path = request.method, request.url.path[:500]
    fingerprint = request_fingerprint(method, path, request.url.query, await request.body())
    expired_before = datetime.now(UTC) - timedelta(hours=ttl_hours)
    # The idempotency_keys policy shows this transaction the rows of this principal only.
    await session.execute(CLAIM_SETTINGS, {"principal": principal_key})
    identity = (
        IdempotencyRecord.principal_key == principal_key,
        IdempotencyRecord.method == method,
        IdempotencyRecord.path == path,
        IdempotencyRecord.key == key,
    )
    try:
        inserted = await session.scalar(
            CLAIM,
            {
                "principal_key": principal_key,
                "key": key,
                "method": method,
                "path": path,
                "request_hash": fingerprint,
                "expired_before": expired_before,
            },
        )
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
            raise IdempotencyKeyInUse from exc
        raise
    if inserted is not None:
        return IdempotencyClaim(
            principal_key=principal_key, method=method, path=path, key=key, encryptor=encryptor
        )

    # Every way on from here ends the transaction (a replay or a refusal): the lock timeout
    # the claim set ends with it.
    existing = await session.scalar(
        select(IdempotencyRecord).where(*identity).execution_options(populate_existing=True)
    )
    if existing is None or existing.status_code is None or existing.response_body is None:
        raise IdempotencyKeyInUse
    if existing.request_hash != fingerprint:
        raise IdempotencyKeyMismatch
    try:
        body = encryptor.decrypt(existing.response_body)
    except DecryptionError as exc:
        # Its key was rotated away: the stored answer is gone, so the key cannot be reused.
        raise IdempotencyKeyInUse from exc
    headers = dict(existing.response_headers or {})
    headers["Idempotent-Replayed"] = "true"
    raise IdempotentReplay(
        Response(content=body, status_code=existing.status_code, headers=headers)
    )


_REPLAYED_HEADERS = ("content-type", "location")


async def store_response(
    session: AsyncSession, claim: IdempotencyClaim, response: Response
) -> None:
    """Record the response of a claimed key, encrypted (same transaction as the effect)."""
    await session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.principal_key == claim.principal_key,
            IdempotencyRecord.method == claim.method,
            IdempotencyRecord.path == claim.path,
            IdempotencyRecord.key == claim.key,
        )
        .values(
            status_code=response.status_code,
            response_body=claim.encryptor.encrypt(bytes(response.body)),
            response_headers={
                name: response.headers[name]
                for name in _REPLAYED_HEADERS
                if name in response.headers
            },
        )
        .execution_options(synchronize_session=False)
    )
