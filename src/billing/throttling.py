"""The service's rate limits as FastAPI dependencies and helpers for the routes that need a
finer key (a phone number, an invoice, a COD payment).

The limiter and the parsed policies live on ``app.state`` (``install_rate_limits``).
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request

from billing.config import RatePolicies, Settings
from billing.core.network import client_address
from billing.core.ratelimit import RateLimiter, RateLimitHeaders, RatePolicy


def install_rate_limits(app: FastAPI, settings: Settings) -> RateLimiter:
    """Build the limiter from the settings and add the ``RateLimit`` header middleware."""
    limiter = RateLimiter.from_uri(
        settings.rate_limit_storage,
        enabled=settings.rate_limit_enabled,
        key_prefix=settings.rate_limit_key_prefix,
    )
    app.state.rate_limiter = limiter
    app.state.rate_policies = settings.rate_policies()
    app.add_middleware(RateLimitHeaders)
    return limiter


def policies(request: Request) -> RatePolicies:
    """The configured policies."""
    found: RatePolicies = request.app.state.rate_policies
    return found


async def throttle(request: Request, policy: RatePolicy, key: str) -> None:
    """Count one request of ``key`` under ``policy`` (429 ``rate_limited`` past the limit)."""
    limiter: RateLimiter = request.app.state.rate_limiter
    await limiter.check(policy, key, state=request.state)


def caller_address(request: Request) -> str:
    """The client's address, through ``BILLING_TRUSTED_PROXIES``."""
    settings: Settings = request.app.state.settings
    return client_address(request, settings.trusted_proxy_networks) or "-"


async def limit_public(request: Request) -> None:
    """Seed 003's per-address limit on unauthenticated pages and checkout (30/min/IP)."""
    await throttle(request, policies(request).public, caller_address(request))


PublicRateLimit: Any = Depends(limit_public)
"""``dependencies=[PublicRateLimit]`` on routers every anonymous caller can reach."""
