"""HTTP plumbing shared by the provider plugins.

One ``httpx.AsyncClient`` serves every plugin (built once by the application lifespan with
:func:`build_http_client`). Plugins send through :func:`send`, which

* turns transport errors, timeouts and provider 5xx into ``ProviderUnavailableError`` (outcome
  unknown), and provider 4xx into :class:`ProviderHTTPError` (a ``ProviderError``) carrying the
  provider's own error code;
* retries, with exponential backoff, only calls the plugin marks ``idempotent=True`` (token
  requests, status queries). A charge (STK push, order submission) is never retried here: a lost
  answer does not mean the charge did not happen;
* never puts credentials in an error message: request headers are never quoted, the query string
  is dropped from URLs, and every string passed in ``secrets`` is masked in whatever the provider
  echoed back.
"""

from __future__ import annotations

import functools
import hashlib
import json
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from billing.providers.base import ProviderError, ProviderKey, ProviderUnavailableError

__all__ = [
    "CONNECT_TIMEOUT_S",
    "DEFAULT_RETRY",
    "NO_RETRY",
    "READ_TIMEOUT_S",
    "ErrorDetails",
    "ProviderHTTPError",
    "RetryPolicy",
    "TokenCache",
    "build_http_client",
    "default_error_details",
    "json_object",
    "redact",
    "send",
    "tls_context",
]

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 20.0
_MAX_MESSAGE_CHARS = 300
_MASK = "***"

ErrorDetails = Callable[[httpx.Response], tuple[str, str]]
"""Extracts ``(provider_code, provider_message)`` from an error response."""


def build_http_client(**kwargs: Any) -> httpx.AsyncClient:
    """Build the one ``httpx.AsyncClient`` shared by every plugin.

    Timeouts: connect 5 s, read/write/pool 20 s. ``kwargs`` are passed to ``httpx.AsyncClient``
    (tests pass ``transport=``); an explicit ``timeout`` overrides the default. The caller owns the
    client and closes it (``await client.aclose()`` or ``async with``).
    """
    kwargs.setdefault("timeout", httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S))
    kwargs.setdefault("follow_redirects", False)
    if not kwargs.keys() & {"verify", "cert", "trust_env", "http2"}:
        kwargs["verify"] = tls_context()
    return httpx.AsyncClient(**kwargs)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings of a client built with httpx's defaults, loaded once per process.

    Loading the CA bundle takes about 20 ms, two hundred times what the rest of building a
    client takes. Clients that keep the defaults (certificate checks on, no client
    certificate, the environment's CA file, HTTP/1.1) make the same context and the same
    changes to it, so they share one; a client built with any of those settings makes its own.
    """
    return httpx.create_ssl_context()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff for idempotent calls: ``attempts`` tries, waits doubling from ``initial_wait_s``."""

    attempts: int = 3
    initial_wait_s: float = 0.2
    max_wait_s: float = 2.0


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(attempts=1)


class TokenCache:
    """Per-process cache of provider access tokens (Daraja OAuth, Pesapal RequestToken).

    Plugins are built per use, so the cache lives outside them (one module-level instance per
    plugin). Losing it only costs a token request. Keys are derived with :meth:`key` so that a
    consumer secret is never kept as a dictionary key. ``clock`` is monotonic seconds and can be
    replaced in tests to step over an expiry without sleeping.

    Concurrent misses may fetch two tokens; both are valid, so no lock is taken.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}

    @staticmethod
    def key(*parts: str) -> str:
        """A stable cache key for credentials (base URL, consumer key, consumer secret...)."""
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()

    def get(self, key: str) -> str | None:
        """The cached token, or ``None`` when absent or due for refresh."""
        entry = self._tokens.get(key)
        if entry is None:
            return None
        token, refresh_at = entry
        if self._clock() >= refresh_at:
            del self._tokens[key]
            return None
        return token

    def put(self, key: str, token: str, *, lifetime_s: float, margin_s: float) -> None:
        """Cache ``token`` until ``lifetime_s - margin_s`` seconds from now (not cached if <= 0)."""
        usable = lifetime_s - margin_s
        if usable > 0:
            self._tokens[key] = (token, self._clock() + usable)
        else:
            self._tokens.pop(key, None)

    def invalidate(self, key: str, token: str | None = None) -> None:
        """Drop the cached token (only if it is still ``token``, when given)."""
        entry = self._tokens.get(key)
        if entry is not None and (token is None or entry[0] == token):
            del self._tokens[key]

    def clear(self) -> None:
        """Forget every token."""
        self._tokens.clear()


class ProviderHTTPError(ProviderError):
    """The provider answered with a 4xx: it refused the request.

    ``status_code`` lets a plugin react to a specific answer (refresh a token on 401) without
    parsing the message.
    """

    def __init__(self, provider: ProviderKey, code: str, message: str, *, status_code: int) -> None:
        super().__init__(provider, code, message)
        self.status_code = status_code


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Mask every non-empty secret in ``text`` and cap its length for logs and messages."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, _MASK)
    if len(text) > _MAX_MESSAGE_CHARS:
        text = text[:_MAX_MESSAGE_CHARS] + "..."
    return text


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The response body as a JSON object, or ``None`` when it is not one."""
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def default_error_details(response: httpx.Response) -> tuple[str, str]:
    """Best-effort ``(code, message)`` from the error shapes the supported providers use.

    Daraja ``errorCode``/``errorMessage``; Pesapal ``error.code``/``error.message``; Stripe
    ``error.type|code``/``error.message``; Mollie ``title``/``detail``; OAuth ``error``/
    ``error_description``. Falls back to ``http_<status>`` and the reason phrase.
    """
    fallback_code = f"http_{response.status_code}"
    fallback_message = response.reason_phrase or "error"
    body = json_object(response)
    if body is None:
        return fallback_code, fallback_message
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code") or error.get("error_type") or error.get("type")
        message = error.get("message") or error.get("description")
        return str(code or fallback_code), str(message or fallback_message)
    for code_key, message_key in (
        ("errorCode", "errorMessage"),
        ("error", "error_description"),
        ("code", "message"),
        ("title", "detail"),
    ):
        if body.get(code_key) or body.get(message_key):
            code = body.get(code_key) or fallback_code
            message = body.get(message_key) or fallback_message
            return str(code), str(message)
    return fallback_code, fallback_message


async def send(
    client: httpx.AsyncClient,
    provider: ProviderKey,
    method: str,
    url: str,
    *,
    idempotent: bool,
    params: Mapping[str, str] | None = None,
    json: object | None = None,
    headers: Mapping[str, str] | None = None,
    auth: httpx.Auth | tuple[str, str] | None = None,
    secrets: Iterable[str | None] = (),
    error_details: ErrorDetails = default_error_details,
    passthrough: Callable[[httpx.Response], bool] | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> httpx.Response:
    """Send one request to a provider and return its 2xx (or passed-through) response.

    Args:
        client: the shared client.
        provider: whose API this is; set on every raised error.
        method, url, params, json, headers, auth: as for ``httpx.AsyncClient.request``.
        idempotent: True only when repeating the call cannot move money (token, status query).
            Only then are transport errors and 5xx retried, per ``retry``.
        secrets: credentials to mask if the provider echoes them in an error body.
        error_details: extracts the provider's code and message from an error response.
        passthrough: returns True for a non-2xx response the plugin interprets itself (Daraja's
            "being processed" 500 on STK Query); such a response is returned, not raised.
        retry: backoff for idempotent calls.

    Raises:
        ProviderUnavailableError: transport failure, timeout (``timeout=True``) or 5xx.
        ProviderHTTPError: the provider answered 4xx (any other non-2xx status).
    """
    secret_list = [s for s in secrets if s]

    async def attempt() -> httpx.Response:
        return await _send_once(
            client,
            provider,
            method,
            url,
            params=params,
            json=json,
            headers=headers,
            auth=auth,
            secrets=secret_list,
            error_details=error_details,
            passthrough=passthrough,
        )

    if not idempotent or retry.attempts <= 1:
        return await attempt()
    retrying = AsyncRetrying(
        stop=stop_after_attempt(retry.attempts),
        wait=wait_exponential(multiplier=retry.initial_wait_s, max=retry.max_wait_s),
        retry=retry_if_exception_type(ProviderUnavailableError),
        reraise=True,
    )
    response: httpx.Response = await retrying(attempt)
    return response


async def _send_once(
    client: httpx.AsyncClient,
    provider: ProviderKey,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None,
    json: object | None,
    headers: Mapping[str, str] | None,
    auth: httpx.Auth | tuple[str, str] | None,
    secrets: list[str],
    error_details: ErrorDetails,
    passthrough: Callable[[httpx.Response], bool] | None,
) -> httpx.Response:
    # The query string can carry identifiers a provider treats as sensitive; the path is enough
    # to tell which call failed.
    where = f"{method.upper()} {httpx.URL(url).copy_with(query=None)}"
    try:
        response = await client.request(
            method,
            url,
            params=params,
            json=json,
            headers=headers,
            auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
        )
    except httpx.TimeoutException as exc:
        raise ProviderUnavailableError(
            provider,
            "timeout",
            redact(f"{where}: timed out ({type(exc).__name__})", secrets),
            timeout=True,
        ) from None
    except httpx.TransportError as exc:
        # ``from None``: the chained httpx exception holds the request, headers included.
        raise ProviderUnavailableError(
            provider,
            "transport_error",
            redact(f"{where}: {type(exc).__name__}: {exc}", secrets),
        ) from None
    if response.is_success:
        return response
    if passthrough is not None and passthrough(response):
        return response
    code, message = error_details(response)
    message = redact(f"{where} -> {response.status_code}: {message}", secrets)
    code = redact(code, secrets)
    if response.status_code >= 500:
        raise ProviderUnavailableError(provider, code, message)
    raise ProviderHTTPError(provider, code, message, status_code=response.status_code)
