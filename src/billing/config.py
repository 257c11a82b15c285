"""Deployment configuration, read from ``BILLING_*`` environment variables and ``DATABASE_URL``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from billing.core.crypto import derive_token, parse_keys
from billing.core.network import parse_networks
from billing.core.ratelimit import RatePolicy

DEVELOPMENT_JWT_SECRET = "development-only-secret-change-me-0123456789"
DEVELOPMENT_CALLBACK_SECRET = "development-only-callback-secret-change-me"
# A fixed Fernet key for development and tests only; production refuses it.
DEVELOPMENT_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQtb25seS1rZXktY2hhbmdlLW1lISE="

# Bind-all addresses are where the server listens, not an address a browser can open.
_WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def local_base_url(host: str, port: int) -> str:
    """``http://host:port`` for links to this server (``0.0.0.0`` becomes ``127.0.0.1``)."""
    reachable = _WILDCARD_HOSTS.get(host, host)
    if ":" in reachable and not reachable.startswith("["):
        reachable = f"[{reachable}]"  # an IPv6 literal in a URL (RFC 3986 section 3.2.2)
    return f"http://{reachable}:{port}"


@dataclass(frozen=True, slots=True)
class RatePolicies:
    """Every rate limit of the service (``Settings.rate_policies``)."""

    public: RatePolicy
    authenticated: RatePolicy
    stk_phone: RatePolicy
    stk_invoice: RatePolicy
    cod_verify: RatePolicy


class Settings(BaseSettings):
    """Service settings. Every field maps to ``BILLING_<NAME>`` unless an alias says otherwise."""

    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore", populate_by_name=True)

    environment: Literal["development", "test", "production"] = "development"
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "BILLING_DATABASE_URL"),
        description="SQLAlchemy URL (postgresql+asyncpg://...). Unset: embedded PostgreSQL.",
    )
    data_dir: Path = Field(default=Path(".data"), description="Embedded PostgreSQL data directory.")
    app_role: str = Field(
        default="billing_app",
        description="Role the API assumes (SET ROLE): owns no tables, no BYPASSRLS.",
    )
    db_pool_size: int = Field(default=10, ge=1, description="Connections kept per process.")
    db_max_overflow: int = Field(
        default=5, ge=0, description="Extra connections a process may open under load."
    )
    db_pool_timeout: float = Field(
        default=2.0,
        gt=0,
        description="Seconds a request waits for a free connection before 503 service_busy.",
    )
    db_statement_cache_size: int = Field(
        default=100,
        ge=0,
        description="asyncpg prepared statements per connection; 0 behind PgBouncer (transaction "
        "pooling).",
    )
    db_reserved_connections: int = Field(
        default=10,
        ge=0,
        description="Connections left for workers, migrations and operators when `billing serve` "
        "checks that its processes fit the server's max_connections.",
    )
    db_echo: bool = False
    max_in_flight: int | None = Field(
        default=None,
        ge=1,
        description="Requests one process serves at once; beyond, 503 service_busy at once. "
        "Unset: the process's database connections (pool size + overflow), since every request "
        "holds one for its transaction and more would only queue for a connection.",
    )
    admission_wait_ms: float = Field(
        default=10.0,
        ge=0,
        description="How long a request that finds every in-flight slot taken may wait for one "
        "before 503 service_busy (a busy process frees one every few milliseconds; 0: never "
        "wait).",
    )
    max_loop_lag_ms: float = Field(
        default=100.0,
        ge=0,
        description="While the event loop runs this many milliseconds behind, a process serving "
        "more than a few requests refuses new ones with 503 at once (0: never).",
    )
    render_processes: int | None = Field(
        default=None,
        ge=0,
        description="Processes that render PDFs and e-invoices (off the event loop, at a lower "
        "priority). Unset: one fewer than the CPUs (at least 1, at most 4). 0: render in a "
        "thread of the serving process.",
    )

    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    jwt_leeway_seconds: int = 30
    token_ttl_seconds: int = 12 * 3600

    idempotency_ttl_hours: int = Field(default=24, ge=24)
    encryption_keys: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_ENCRYPTION_KEY),
        description="Comma-separated Fernet keys, newest first (encrypts stored responses).",
    )
    callback_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_CALLBACK_SECRET),
        description="Secret from which the token in every provider callback URL is derived.",
    )
    mpesa_allowed_sources: str = Field(
        default="",
        description="Comma-separated networks (CIDR) M-Pesa callbacks may come from; empty: any.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated networks (CIDR) of proxies whose X-Forwarded-For is trusted.",
    )
    embedded_worker: bool | None = Field(
        default=None,
        description="Run the job worker inside the API process. Unset: on in development, "
        "off otherwise.",
    )
    embedded_worker_concurrency: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Jobs the embedded worker runs at once, so that a long periodic job (the "
        "billing cycle, reminders) never holds up the settlement of a payment.",
    )
    public_base_url: str = Field(
        default="",
        description="Base of public links (QR codes, provider callbacks). "
        "Unset: derived from host and port, e.g. http://127.0.0.1:8000.",
    )
    rate_limit_enabled: bool = Field(default=True, description="Turn every rate limit off.")
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where counters live: memory:// (per process) or redis://host:port/db "
        "(shared by every process naming it).",
    )
    rate_limit_key_prefix: str = Field(
        default="billing", max_length=100, description="Prefix of the counters' Redis keys."
    )
    rate_limit_public: str = Field(
        default="30/minute",
        description="Per client address on public pages and checkout (seed 003: 30/min/IP).",
    )
    rate_limit_authenticated: str = Field(
        default="300/minute",
        description="Per principal on /api/v1/admin and /api/v1/billing (seed 003: 300/min).",
    )
    rate_limit_stk_phone: str = Field(
        default="3/minute;10/hour", description="STK pushes per phone number."
    )
    rate_limit_stk_invoice: str = Field(
        default="5/minute;20/hour", description="STK pushes per invoice."
    )
    rate_limit_cod_verify: str = Field(
        default="5/minute", description="Verification codes tried per cash-on-delivery payment."
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        description="Mail server: smtp://user:password@host:587 (STARTTLS), "
        "smtps://user:password@host:465 (TLS), or smtp://host:1025?starttls=false (a local "
        "catcher). Unset: e-mails wait in the outbox, retried until one is set.",
    )
    email_from: str = Field(
        default="billing@localhost", max_length=320, description="Sender of every e-mail."
    )
    delivery_retry_base_seconds: float = Field(
        default=30.0, gt=0, description="First retry delay of a failed delivery (then doubled)."
    )
    delivery_retry_max_seconds: float = Field(
        default=3600.0, gt=0, description="Longest delay between two delivery attempts."
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, description="How long a webhook endpoint has to answer."
    )
    whatsapp_provider: Literal["cloud", "ultramsg"] | None = Field(
        default=None,
        description="WhatsApp plugin: cloud (WhatsApp Business Cloud API) or ultramsg; "
        "unset: WhatsApp routes answer 501.",
    )
    whatsapp_base_url: str = Field(
        default="", description="Base URL of the WhatsApp API (a fake one in tests)."
    )
    whatsapp_token: SecretStr | None = Field(
        default=None, description="Cloud API access token, or the Ultramsg instance token."
    )
    whatsapp_sender_id: str = Field(
        default="", description="Cloud API phone number id, or the Ultramsg instance id."
    )
    log_level: str = "INFO"
    log_json: bool = True
    enable_test_routes: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    @model_validator(mode="after")
    def _default_public_base_url(self) -> Self:
        # Links must reach the port the server listens on (BILLING_PORT=8200 -> :8200); an
        # explicit BILLING_PUBLIC_BASE_URL (a proxy, a domain) always wins.
        if not self.public_base_url:
            self.public_base_url = local_base_url(self.host, self.port)
        else:
            self.public_base_url = self.public_base_url.rstrip("/")
        return self

    @model_validator(mode="after")
    def _valid_rate_limits(self) -> Self:
        self.rate_policies()
        if self.rate_limit_storage != "memory://" and not self.rate_limit_storage.startswith(
            ("redis://", "rediss://", "redis+unix://")
        ):
            raise ValueError("BILLING_RATE_LIMIT_STORAGE must be memory:// or redis://...")
        return self

    def rate_policies(self) -> RatePolicies:
        """The configured rate limits, parsed (a malformed one fails at startup)."""
        return RatePolicies(
            public=RatePolicy.parse("public", self.rate_limit_public),
            authenticated=RatePolicy.parse("principal", self.rate_limit_authenticated),
            stk_phone=RatePolicy.parse("stk-phone", self.rate_limit_stk_phone),
            stk_invoice=RatePolicy.parse("stk-invoice", self.rate_limit_stk_invoice),
            cod_verify=RatePolicy.parse("cod-verify", self.rate_limit_cod_verify),
        )

    @property
    def runs_embedded_worker(self) -> bool:
        """True when the API process runs the job worker: as set, else only in development
        (``make run`` then needs no second command for provider deliveries to settle)."""
        if self.embedded_worker is not None:
            return self.embedded_worker
        return self.environment == "development"

    def require_production_secrets(self) -> None:
        """Refuse to run in production with any development secret."""
        if self.environment != "production":
            return
        defaults = {
            "BILLING_JWT_SECRET": self.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET,
            "BILLING_CALLBACK_SECRET": self.callback_secret.get_secret_value()
            == DEVELOPMENT_CALLBACK_SECRET,
            "BILLING_ENCRYPTION_KEYS": DEVELOPMENT_ENCRYPTION_KEY in self.encryption_key_list,
        }
        missing = [name for name, is_default in defaults.items() if is_default]
        if missing:
            raise RuntimeError(f"{', '.join(missing)} must be set in production")

    @property
    def effective_max_in_flight(self) -> int:
        """Requests one process admits at once: its database connections by default, since
        every request holds one for its transaction (``admission_wait_ms`` lets a request
        beyond them wait briefly for a slot)."""
        if self.max_in_flight is not None:
            return self.max_in_flight
        return self.db_pool_size + self.db_max_overflow

    @property
    def effective_render_processes(self) -> int:
        """How many processes render documents (0: a thread of the serving process)."""
        if self.render_processes is not None:
            return self.render_processes
        # One core stays with the event loop and PostgreSQL.
        return max(1, min((os.cpu_count() or 1) - 1, 4))

    @property
    def encryption_key_list(self) -> tuple[str, ...]:
        """The configured Fernet keys, newest first."""
        return parse_keys(self.encryption_keys.get_secret_value())

    def callback_token(self, purpose: str) -> str:
        """The secret URL token providers present on callbacks for ``purpose``."""
        return derive_token(self.callback_secret.get_secret_value(), f"callback:{purpose}")

    @property
    def mpesa_source_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """Networks M-Pesa deliveries may come from (empty: not restricted)."""
        return parse_networks(self.mpesa_allowed_sources)

    @property
    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """Proxies whose ``X-Forwarded-For`` names the real client."""
        return parse_networks(self.trusted_proxies)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
