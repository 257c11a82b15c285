"""What the rate limiter costs a request: ``GET /admin/tenants/{id}`` with limits off (the
baseline, same run), counted in memory, and counted in Redis when one answers on
127.0.0.1:6379; plus one limiter check alone."""

from __future__ import annotations

import socket
import uuid

import httpx

from bench.harness import Result, measure, print_table
from billing.auth.principal import Role
from billing.auth.tokens import mint_token
from billing.config import Settings
from billing.core.db import Database
from billing.core.ratelimit import RateLimiter, RatePolicy
from billing.main import create_app

HIGH = "1000000/minute"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


async def _full_stack(url: str, settings: Settings, name: str, seconds: float) -> Result:
    database = Database.connect(url, role=settings.app_role, pool_size=2, max_overflow=0)
    app = create_app(settings, database)
    headers = {"Authorization": "Bearer " + mint_token(settings, role=Role.ADMIN, subject="b")}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        created = await client.post("/api/v1/admin/tenants", headers=headers, json={"name": "L"})
        tenant_id = created.json()["data"]["id"]

        async def get() -> None:
            response = await client.get(f"/api/v1/admin/tenants/{tenant_id}", headers=headers)
            assert response.status_code == 200

        result = await measure(name, get, seconds=seconds)
    await database.dispose()
    return result


async def run(url: str, *, seconds: float) -> list[Result]:
    """Benchmark the limiter in the request path and alone."""
    base = Settings(
        database_url=url,
        environment="test",
        log_json=False,
        rate_limit_authenticated=HIGH,
        rate_limit_key_prefix=f"bench-{uuid.uuid4().hex}",
    )
    baseline = await _full_stack(
        url,
        base.model_copy(update={"rate_limit_enabled": False}),
        "GET /admin/tenants/{id}, limits off",
        seconds,
    )
    results = [await _full_stack(url, base, "GET /admin/tenants/{id}, counted in memory", seconds)]
    redis = _redis_answers()
    if redis:
        results.append(
            await _full_stack(
                url,
                base.model_copy(update={"rate_limit_storage": "redis://127.0.0.1:6379/0"}),
                "GET /admin/tenants/{id}, counted in Redis",
                seconds,
            )
        )
    print_table("Rate limits: one authenticated GET", results, baseline=baseline)

    policy = RatePolicy.parse("bench", HIGH)
    memory = RateLimiter.from_uri("memory://")
    alone = [
        await measure("limiter.check, memory", lambda: memory.check(policy, "k"), seconds=seconds)
    ]
    if redis:
        shared = RateLimiter.from_uri(
            "redis://127.0.0.1:6379/0", key_prefix=base.rate_limit_key_prefix
        )
        alone.append(
            await measure(
                "limiter.check, Redis", lambda: shared.check(policy, "k"), seconds=seconds
            )
        )
        await shared.reset()
    print_table("Rate limits: one check alone", alone[1:], baseline=alone[0])
    if not redis:
        print("(no Redis on 127.0.0.1:6379: the Redis rows are left out)")
    return [baseline, *results, *alone]
