"""The shared HTTP helpers of ``billing.providers.http`` (exercised here with Daraja shapes)."""

from __future__ import annotations

import httpx
import pytest

from billing.providers.base import ProviderKey, ProviderUnavailableError
from billing.providers.http import (
    NO_RETRY,
    ProviderHTTPError,
    RetryPolicy,
    TokenCache,
    build_http_client,
    default_error_details,
    redact,
    send,
)


def _response(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, json=body)


class TestErrorDetails:
    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            (
                {"requestId": "1", "errorCode": "400.002.02", "errorMessage": "Bad Request"},
                ("400.002.02", "Bad Request"),
            ),
            (
                {"error": {"error_type": "api_error", "code": "x_y", "message": "m"}},
                ("x_y", "m"),
            ),
            ({"error": {"type": "card_error", "message": "declined"}}, ("card_error", "declined")),
            ({"title": "Unprocessable Entity", "detail": "bad"}, ("Unprocessable Entity", "bad")),
            ({"other": 1}, ("http_418", "I'm a teapot")),
        ],
    )
    def test_shapes(self, body: object, expected: tuple[str, str]) -> None:
        assert default_error_details(_response(418, body)) == expected

    def test_not_json(self) -> None:
        assert default_error_details(httpx.Response(502, text="<html>")) == (
            "http_502",
            "Bad Gateway",
        )


class TestRedact:
    def test_masks_every_secret_and_caps_length(self) -> None:
        text = redact("key=abc secret=s3cr3t again s3cr3t" + "x" * 400, ["s3cr3t", None, ""])
        assert "s3cr3t" not in text
        assert text.count("***") == 2
        assert len(text) <= 303


class TestTokenCache:
    def test_expiry_and_margin(self) -> None:
        now = [0.0]
        cache = TokenCache(lambda: now[0])
        key = TokenCache.key("https://x", "k", "secret")
        assert "secret" not in key
        cache.put(key, "tok", lifetime_s=100, margin_s=10)
        now[0] = 89.9
        assert cache.get(key) == "tok"
        now[0] = 90.0
        assert cache.get(key) is None

    def test_too_short_lifetime_is_not_cached(self) -> None:
        cache = TokenCache()
        cache.put("k", "tok", lifetime_s=5, margin_s=10)
        assert cache.get("k") is None

    def test_invalidate_only_the_same_token(self) -> None:
        cache = TokenCache()
        cache.put("k", "new", lifetime_s=100, margin_s=0)
        cache.invalidate("k", "old")
        assert cache.get("k") == "new"
        cache.invalidate("k", "new")
        assert cache.get("k") is None


class TestSend:
    async def test_status_mapping_and_retries(self) -> None:
        calls: list[str] = []
        answers = iter([503, 503, 200, 404])

        def handler(request: httpx.Request) -> httpx.Response:
            calls.append(request.url.path)
            status = next(answers)
            return _response(status, {"errorCode": f"{status}.x", "errorMessage": "sk_live_123"})

        fast = RetryPolicy(attempts=3, initial_wait_s=0.001, max_wait_s=0.001)
        async with build_http_client(transport=httpx.MockTransport(handler)) as client:
            ok = await send(
                client, ProviderKey.MPESA, "GET", "http://x/a?token=q", idempotent=True, retry=fast
            )
            assert ok.status_code == 200
            assert len(calls) == 3
            with pytest.raises(ProviderHTTPError) as caught:
                await send(
                    client,
                    ProviderKey.MPESA,
                    "POST",
                    "http://x/b",
                    idempotent=True,
                    secrets=["sk_live_123"],
                    retry=fast,
                )
        assert caught.value.status_code == 404
        assert caught.value.code == "404.x"
        assert "sk_live_123" not in str(caught.value)
        assert len(calls) == 4  # a 4xx is never retried

    async def test_non_idempotent_is_sent_once(self) -> None:
        calls = 0

        def handler(request: httpx.Request) -> httpx.Response:
            nonlocal calls
            calls += 1
            return _response(500, {})

        async with build_http_client(transport=httpx.MockTransport(handler)) as client:
            with pytest.raises(ProviderUnavailableError):
                await send(client, ProviderKey.PESAPAL, "POST", "http://x/", idempotent=False)
            with pytest.raises(ProviderUnavailableError):
                await send(
                    client, ProviderKey.PESAPAL, "GET", "http://x/", idempotent=True, retry=NO_RETRY
                )
        assert calls == 2

    async def test_transport_error_hides_query_and_headers(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

        async with build_http_client(transport=httpx.MockTransport(handler)) as client:
            with pytest.raises(ProviderUnavailableError) as caught:
                await send(
                    client,
                    ProviderKey.MPESA,
                    "GET",
                    "http://x/oauth?secret=abc",
                    idempotent=False,
                    headers={"Authorization": "Basic Zm9vOmJhcg=="},
                )
        message = str(caught.value)
        assert "abc" not in message
        assert "Zm9vOmJhcg" not in message
        assert caught.value.code == "transport_error"
        assert caught.value.__cause__ is None

    def test_default_timeouts(self) -> None:
        client = build_http_client()
        try:
            assert client.timeout.connect == 5.0
            assert client.timeout.read == 20.0
        finally:
            import asyncio

            asyncio.run(client.aclose())
