"""Deployment configuration, read from ``BILLING_*`` environment variables and ``DATABASE_URL``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_JWT_SECRET = "development-only-secret-change-me-0123456789"


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
    db_pool_size: int = 10
    db_max_overflow: int = 20
    db_echo: bool = False

    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    jwt_leeway_seconds: int = 30
    token_ttl_seconds: int = 12 * 3600

    idempotency_ttl_hours: int = Field(default=24, ge=24)
    public_base_url: str = "http://127.0.0.1:8000"
    log_level: str = "INFO"
    log_json: bool = True
    enable_test_routes: bool = False
    host: str = "127.0.0.1"
    port: int = 8000

    def require_production_secrets(self) -> None:
        """Refuse to run in production with the development JWT secret."""
        if (
            self.environment == "production"
            and self.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET
        ):
            raise RuntimeError("BILLING_JWT_SECRET must be set in production")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
