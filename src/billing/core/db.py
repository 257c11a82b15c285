"""Database engines and sessions.

The API runs as an unprivileged role: every pooled connection executes ``SET ROLE`` to the
configured application role, which owns no tables and has no BYPASSRLS, so row-level security
applies to everything the API does. Migrations use the connecting (owner) role directly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def async_database_url(url: str) -> str:
    """Normalise ``postgres://`` / ``postgresql://`` URLs to the asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    if parsed.password == "":
        parsed = parsed.set(password=None)
    return parsed.render_as_string(hide_password=False)


def libpq_database_url(url: str) -> str:
    """The same database as a plain libpq URL (psycopg, psql)."""
    parsed = make_url(async_database_url(url)).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def create_engine(
    url: str,
    *,
    role: str | None,
    pool_size: int = 10,
    max_overflow: int = 20,
    pool_timeout: float = 30.0,
    statement_cache_size: int = 100,
    echo: bool = False,
) -> AsyncEngine:
    """An asyncpg engine; with ``role`` every new connection assumes it via ``SET ROLE``.

    No pre-ping: it would cost a round trip on every checkout. Connections are recycled after
    half an hour instead, and one that broke under a request fails that request once.
    """
    engine = create_async_engine(
        async_database_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_recycle=1800,
        echo=echo,
        connect_args={"prepared_statement_cache_size": statement_cache_size},
        json_deserializer=read_json,
    )
    if role is not None:
        quoted = '"' + role.replace('"', '""') + '"'

        @event.listens_for(engine.sync_engine, "connect")
        def _assume_app_role(dbapi_connection: Any, _connection_record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"SET ROLE {quoted}")
            cursor.close()

    return engine


# A number in JSON text starts the text or follows "[", ":" or "," (and white space); the same
# characters before a digit run inside a string only send that document to ``json``.
_LONG_BARE_INTEGER = re.compile(r"(?:^|[\[:,])\s*-?\d{19}")


def read_json(text: str) -> Any:
    """A JSON column's value, as ``json.loads`` reads it.

    orjson reads it four times faster, and a read by id decodes the invoice's parties once per
    joined line. orjson reads an integer beyond 64 bits as a float, losing digits, so a
    document where a number of 19 digits or more may stand is read by ``json``. Digit runs
    inside strings (IBANs, references) mostly follow a letter or a quote and keep orjson.
    """
    if _LONG_BARE_INTEGER.search(text) is None:
        return orjson.loads(text)
    return json.loads(text)


APP_ROLE_INFO = "app_role"
"""``Session.info`` key of the application role the session's connections assume."""


@dataclass(frozen=True, slots=True)
class Database:
    """The engine and session factory of one process."""

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        role: str | None,
        pool_size: int = 10,
        max_overflow: int = 20,
        pool_timeout: float = 30.0,
        statement_cache_size: int = 100,
        echo: bool = False,
    ) -> Database:
        """Build the engine (lazily connecting) and its session factory."""
        engine = create_engine(
            url,
            role=role,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            statement_cache_size=statement_cache_size,
            echo=echo,
        )
        # Sessions know the role so that ``apply_scope`` can narrow it to the scope's role.
        info = {APP_ROLE_INFO: role} if role is not None else {}
        return cls(
            engine,
            async_sessionmaker(engine, expire_on_commit=False, autoflush=False, info=info),
        )

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


# PostgreSQL's answer to two transactions that wait for each other (deadlock_detected) or
# that cannot be serialised (serialization_failure): the loser was rolled back and may simply
# run again.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` is a deadlock or serialisation failure, worth running again."""
    original = getattr(error, "orig", None)
    return getattr(original, "sqlstate", None) in TRANSIENT_SQLSTATES
