"""Rate limits: sliding windows kept by the ``limits`` library, in memory or in Redis.

A *policy* (``public``, ``principal``, ``stk-phone``...) is one or more limits
(``"3/minute;10/hour"``) applied per key (an address, a principal, a phone number). Every
counted request records what it saw in ``request.state`` (``RATE_STATE``), and
``RateLimitHeaders`` writes it into the response as the IETF ``RateLimit-Policy`` and
``RateLimit`` fields (draft-ietf-httpapi-ratelimit-headers-09); a refusal is the 429 error
envelope with ``Retry-After``.

With ``memory://`` each process counts for itself; ``redis://host:port/db`` shares the
counters between every process that names the same Redis. The strategy is the sliding
window counter: two counters per key (this window and the last, weighted by how much of it
still overlaps), constant work per request whatever the limit, where a moving window keeps
one entry per request. When the store cannot be reached
the limiter lets requests through (and logs it) rather than refuse payments because a cache
is down, and does not try the store again for ``STORE_RETRY_SECONDS``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from billing.core.errors import BillingError

RATE_STATE = "rate_limits"
"""Key in ``request.state`` (``scope["state"]``) holding the ``RateState`` list of a request."""

STORE_RETRY_SECONDS = 10.0
_REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")

log = structlog.get_logger("billing.ratelimit")


class RateLimited(BillingError):
    """Too many requests for one policy and key."""

    code = "rate_limited"
    status_code = 429
    message = "Too many requests; retry later."


@dataclass(frozen=True, slots=True)
class RatePolicy:
    """Named limits, such as ``RatePolicy.parse("public", "30/minute")``."""

    name: str
    limits: tuple[RateLimitItem, ...]

    @classmethod
    def parse(cls, name: str, spec: str) -> RatePolicy:
        """Read ``"30/minute"`` or ``"3/minute;10/hour"`` (the ``limits`` notation).

        Raises:
            ValueError: the text is not a rate limit.
        """
        limits = tuple(parse_many(spec))
        if not limits:
            raise ValueError(f"no rate limit in {spec!r}")
        return cls(name, limits)


@dataclass(frozen=True, slots=True)
class RateState:
    """What one counted request saw of one policy (its tightest limit)."""

    policy: str
    quota: int
    window: int
    remaining: int
    reset: int


def storage_for(uri: str, *, key_prefix: str = "billing") -> Storage:
    """The ``limits`` storage for ``memory://`` or a ``redis://`` / ``rediss://`` URI.

    Raises:
        ValueError: another scheme.
    """
    if uri in ("memory://", "memory:", "memory"):
        return MemoryStorage()
    if uri.startswith(_REDIS_SCHEMES):
        return RedisStorage(
            f"async+{uri}",
            implementation="redispy",
            key_prefix=key_prefix,
            wrap_exceptions=True,
            socket_timeout=0.5,
            socket_connect_timeout=0.5,
        )
    raise ValueError(f"rate limit storage must be memory:// or redis://..., not {uri!r}")


class RateLimiter:
    """Counts requests per policy and key; ``check`` raises ``RateLimited`` past a limit."""

    def __init__(self, storage: Storage, *, enabled: bool = True) -> None:
        self.storage = storage
        self.enabled = enabled
        self._strategy = SlidingWindowCounterRateLimiter(storage)
        self._store_down_until = 0.0

    @classmethod
    def from_uri(
        cls, uri: str, *, enabled: bool = True, key_prefix: str = "billing"
    ) -> RateLimiter:
        """A limiter on ``storage_for(uri)``."""
        return cls(storage_for(uri, key_prefix=key_prefix), enabled=enabled)

    async def check(
        self, policy: RatePolicy, key: str, *, state: Any | None = None
    ) -> RateState | None:
        """Count one request of ``key`` under ``policy``.

        Args:
            policy: the limits to apply.
            key: whom to count (an address, a principal's scope key, a phone number).
            state: ``request.state``; the result is appended to its ``RATE_STATE`` list.

        Returns:
            The tightest limit's state, or ``None`` when limiting is off or the store is down.

        Raises:
            RateLimited: a limit of the policy is exhausted (nothing is counted then).
        """
        if not self.enabled or time.monotonic() < self._store_down_until:
            return None
        try:
            seen = await self._count(policy, key)
        except Exception as exc:  # the store, not the request, failed: let it through
            self._store_down_until = time.monotonic() + STORE_RETRY_SECONDS
            log.warning("rate_limit_store_unavailable", error=repr(exc), policy=policy.name)
            return None
        allowed, tightest = seen
        if state is not None:
            states: list[RateState] = getattr(state, RATE_STATE, None) or []
            states = [s for s in states if s.policy != tightest.policy]
            setattr(state, RATE_STATE, [*states, tightest])
        if not allowed:
            raise RateLimited(
                f"Too many requests ({policy.name}: {tightest.quota} per {tightest.window} s); "
                f"retry in {tightest.reset} s.",
                headers={"Retry-After": str(max(tightest.reset, 1))},
                details=[
                    {
                        "policy": policy.name,
                        "limit": tightest.quota,
                        "window_seconds": tightest.window,
                        "retry_after_seconds": max(tightest.reset, 1),
                    }
                ],
            )
        return tightest

    async def _count(self, policy: RatePolicy, key: str) -> tuple[bool, RateState]:
        now = time.time()
        states: list[tuple[bool, RateState]] = []
        for item in policy.limits:
            allowed = await self._strategy.hit(item, policy.name, key)
            stats = await self._strategy.get_window_stats(item, policy.name, key)
            reset = max(math.ceil(stats.reset_time - now), 0)
            window = item.get_expiry()
            states.append(
                (
                    allowed,
                    RateState(
                        policy=policy.name,
                        quota=item.amount,
                        window=window,
                        remaining=max(stats.remaining, 0),
                        reset=min(reset, window),
                    ),
                )
            )
        refused = [seen for seen in states if not seen[0]]
        if refused:
            return False, max(refused, key=lambda seen: seen[1].reset)[1]
        return True, min(states, key=lambda seen: seen[1].remaining)[1]

    async def reset(self) -> None:
        """Forget every counter (tests, and operators after changing limits)."""
        await self.storage.reset()


def rate_limit_fields(states: Sequence[RateState]) -> list[tuple[bytes, bytes]]:
    """The ``RateLimit-Policy`` and ``RateLimit`` header fields of ``states``."""
    if not states:
        return []
    policy = ", ".join(f'"{s.policy}";q={s.quota};w={s.window}' for s in states)
    current = ", ".join(f'"{s.policy}";r={s.remaining};t={s.reset}' for s in states)
    return [(b"ratelimit-policy", policy.encode()), (b"ratelimit", current.encode())]


class RateLimitHeaders:
    """Pure ASGI: add the ``RateLimit`` fields of what the request was counted against."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_fields(message: Message) -> None:
            if message["type"] == "http.response.start":
                states = (scope.get("state") or {}).get(RATE_STATE)
                if states:
                    message["headers"] = [
                        *message.get("headers", []),
                        *rate_limit_fields(states),
                    ]
            await send(message)

        await self.app(scope, receive, send_with_fields)
