"""The base of the HTTP clients of providers that issue bearer tokens for a consumer key and
secret (Daraja, Pesapal): tokens cached per account and process, fetched again when due."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar, Generic, Protocol, TypeVar

import httpx
from pydantic import SecretStr

from billing.providers.base import ProviderError, ProviderKey
from billing.providers.http import DEFAULT_RETRY, RetryPolicy, TokenCache

__all__ = ["ConsumerAccount", "TokenClient"]


class ConsumerAccount(Protocol):
    """What a token-issuing provider's configuration holds about the operator's account."""

    @property
    def base_url(self) -> str: ...

    @property
    def consumer_key(self) -> str: ...

    @property
    def consumer_secret(self) -> SecretStr: ...

    @property
    def token_refresh_margin_seconds(self) -> float: ...

    @property
    def configured(self) -> bool: ...

    def secrets(self) -> tuple[str, ...]: ...


AccountT = TypeVar("AccountT", bound=ConsumerAccount)


class TokenClient(Generic[AccountT]):
    """A provider client that authenticates with a bearer token for the account's consumer
    key and secret. Subclasses name their provider, their per-process token cache and the
    message when the account is not configured, and fetch a token in ``_request_token``.

    Args:
        config: the deployment's credentials.
        http: the shared client.
        token_cache: where tokens are cached; the class's per-process cache by default.
        retry: backoff for idempotent calls.
        now: current time (aware), replaceable in tests.
    """

    provider: ClassVar[ProviderKey]
    shared_tokens: ClassVar[TokenCache]
    not_configured: ClassVar[str]

    def __init__(
        self,
        config: AccountT,
        http: httpx.AsyncClient,
        *,
        token_cache: TokenCache | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self.http = http
        self.tokens = token_cache if token_cache is not None else self.shared_tokens
        self.retry = retry
        self._now = now or (lambda: datetime.now(UTC))
        self._base = config.base_url.rstrip("/")
        self._token_key = TokenCache.key(
            self._base, config.consumer_key, config.consumer_secret.get_secret_value()
        )

    def _secrets(self, *extra: str) -> tuple[str, ...]:
        return (*self.config.secrets(), *extra)

    def _require_configured(self) -> None:
        if not self.config.configured:
            raise ProviderError(self.provider, "provider_not_configured", self.not_configured)

    async def access_token(self, *, refresh: bool = False) -> str:
        """A valid bearer token, from the cache unless ``refresh`` or due for renewal."""
        self._require_configured()
        if not refresh:
            cached = self.tokens.get(self._token_key)
            if cached is not None:
                return cached
        token, lifetime = await self._request_token()
        self.tokens.put(
            self._token_key,
            token,
            lifetime_s=lifetime,
            margin_s=self.config.token_refresh_margin_seconds,
        )
        return token

    async def _request_token(self) -> tuple[str, float]:
        """A new token from the provider and how many seconds it lives."""
        raise NotImplementedError
