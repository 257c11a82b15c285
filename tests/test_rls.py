"""Row-level security: the catalog is configured, and the app role sees only its scope."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from billing.config import Settings
from billing.core.db import libpq_database_url
from tests.fixtures.factories import Factory


async def _connect(database_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(libpq_database_url(database_url))


class TestCatalog:
    async def test_every_tenant_table_has_forced_rls_and_a_policy(self, database_url: str) -> None:
        connection = await _connect(database_url)
        try:
            rows = await connection.fetch(
                """
                SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind = 'r'
                  AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                               AND a.attname = 'tenant_id' AND NOT a.attisdropped)
                       OR c.relname = 'tenants')
                """
            )
        finally:
            await connection.close()
        assert {row["relname"] for row in rows} >= {"tenants", "api_keys"}
        for row in rows:
            assert row["relrowsecurity"], row["relname"]
            assert row["relforcerowsecurity"], row["relname"]
            assert row["policies"] >= 1, row["relname"]

    async def test_tenant_owned_tables_lead_with_tenant_id(self, database_url: str) -> None:
        connection = await _connect(database_url)
        try:
            rows = await connection.fetch(
                """
                SELECT c.relname, a.attname
                FROM pg_index i
                JOIN pg_class c ON c.oid = i.indrelid
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE i.indisprimary AND n.nspname = 'public'
                  AND EXISTS (SELECT 1 FROM pg_attribute t WHERE t.attrelid = c.oid
                              AND t.attname = 'tenant_id' AND t.attnotnull)
                """
            )
        finally:
            await connection.close()
        for row in rows:
            assert row["attname"] == "tenant_id", row["relname"]

    async def test_app_role_owns_nothing_and_cannot_bypass(
        self, database_url: str, settings: Settings
    ) -> None:
        connection = await _connect(database_url)
        try:
            role = await connection.fetchrow(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", settings.app_role
            )
            owned = await connection.fetchval(
                "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
                " WHERE r.rolname = $1",
                settings.app_role,
            )
        finally:
            await connection.close()
        assert role is not None
        assert not role["rolsuper"]
        assert not role["rolbypassrls"]
        assert owned == 0


class TestProbeAsAppRole:
    @pytest.fixture
    async def two_tenants(self, factory: Factory) -> tuple[uuid.UUID, uuid.UUID]:
        first = await factory.create_tenant()
        second = await factory.create_tenant()
        return uuid.UUID(first["id"]), uuid.UUID(second["id"])

    async def test_no_setting_no_rows(
        self, database_url: str, settings: Settings, two_tenants: tuple[uuid.UUID, uuid.UUID]
    ) -> None:
        connection = await _connect(database_url)
        try:
            await connection.execute(f'SET ROLE "{settings.app_role}"')
            assert await connection.fetchval("SELECT count(*) FROM tenants") == 0
            # A setting emptied by an earlier pooled transaction must not error.
            async with connection.transaction():
                await connection.execute("SELECT set_config('app.tenant_id', '', true)")
                await connection.execute("SELECT set_config('app.scope', '', true)")
                assert await connection.fetchval("SELECT count(*) FROM tenants") == 0
        finally:
            await connection.close()

    async def test_tenant_sees_only_itself(
        self, database_url: str, settings: Settings, two_tenants: tuple[uuid.UUID, uuid.UUID]
    ) -> None:
        mine, other = two_tenants
        connection = await _connect(database_url)
        try:
            await connection.execute(f'SET ROLE "{settings.app_role}"')
            async with connection.transaction():
                await connection.execute("SELECT set_config('app.scope', 'tenant', true)")
                await connection.execute("SELECT set_config('app.tenant_id', $1, true)", str(mine))
                ids = {row["id"] for row in await connection.fetch("SELECT id FROM tenants")}
                assert ids == {mine}
                hidden = await connection.fetchval(
                    "SELECT count(*) FROM tenants WHERE id = $1", other
                )
                assert hidden == 0
                updated = await connection.execute(
                    "UPDATE tenants SET name = 'x' WHERE id = $1", other
                )
                assert updated == "UPDATE 0"
            # The setting was transaction-local: gone after commit.
            assert await connection.fetchval("SELECT count(*) FROM tenants") == 0
        finally:
            await connection.close()

    async def test_insert_for_another_tenant_is_rejected(
        self, database_url: str, settings: Settings, two_tenants: tuple[uuid.UUID, uuid.UUID]
    ) -> None:
        mine, _ = two_tenants
        connection = await _connect(database_url)
        try:
            await connection.execute(f'SET ROLE "{settings.app_role}"')
            await connection.execute("BEGIN")
            await connection.execute("SELECT set_config('app.scope', 'tenant', true)")
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", str(mine))
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute(
                    "INSERT INTO tenants (id, name, default_currency, status)"
                    " VALUES ($1, 'intruder', 'EUR', 'active')",
                    uuid.uuid4(),
                )
            await connection.execute("ROLLBACK")
        finally:
            await connection.close()


async def test_money_tables_are_append_only_for_the_app_role(
    database_url: str, settings: Settings
) -> None:
    from billing.models.rls import APPEND_ONLY_TABLES

    connection = await _connect(database_url)
    try:
        for table in APPEND_ONLY_TABLES:
            for privilege, expected in (("INSERT", True), ("UPDATE", False), ("DELETE", False)):
                allowed = await connection.fetchval(
                    "SELECT has_table_privilege($1, $2, $3)", settings.app_role, table, privilege
                )
                assert allowed is expected, (table, privilege)
    finally:
        await connection.close()


async def test_attempts_are_never_deleted_and_change_only_their_state(
    database_url: str, settings: Settings
) -> None:
    from billing.models.rls import STATE_COLUMNS

    connection = await _connect(database_url)
    try:
        for table, columns in STATE_COLUMNS.items():
            assert not await connection.fetchval(
                "SELECT has_table_privilege($1, $2, 'DELETE')", settings.app_role, table
            ), table
            assert not await connection.fetchval(
                "SELECT has_table_privilege($1, $2, 'UPDATE')", settings.app_role, table
            ), table
            for column in columns:
                assert await connection.fetchval(
                    "SELECT has_column_privilege($1, $2, $3, 'UPDATE')",
                    settings.app_role,
                    table,
                    column,
                ), (table, column)
        for column in ("amount", "currency", "invoice_id", "tenant_id", "reference", "method"):
            assert not await connection.fetchval(
                "SELECT has_column_privilege($1, 'payment_transactions', $2, 'UPDATE')",
                settings.app_role,
                column,
            ), column
        await connection.execute(f'SET ROLE "{settings.app_role}"')
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.scope', 'admin', true)")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute("UPDATE payment_transactions SET amount = amount + 1")
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.scope', 'admin', true)")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute("DELETE FROM payment_transactions")
    finally:
        await connection.close()


@pytest.mark.parametrize("table", ["idempotency_keys", "webhook_events"])
async def test_operator_tables_holding_responses_and_deliveries_fail_closed(
    database_url: str, settings: Settings, table: str
) -> None:
    connection = await _connect(database_url)
    try:
        forced = await connection.fetchrow(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = $1", table
        )
        assert tuple(forced) == (True, True)
        if table == "idempotency_keys":
            await connection.execute(
                "INSERT INTO idempotency_keys (principal_key, method, path, key, request_hash)"
                " VALUES ('user:admin:operator:x', 'POST', '/p', $1, 'h')",
                uuid.uuid4().hex,
            )
        else:
            await connection.execute(
                "INSERT INTO webhook_events (id, provider, dedupe_key, kind, payload)"
                " VALUES ($1, 'stripe', $2, 'payment', '{}')",
                uuid.uuid4(),
                uuid.uuid4().hex,
            )
        await connection.execute(f'SET ROLE "{settings.app_role}"')
        async with connection.transaction():
            # Even a tenant scope (and no principal, no inbox) sees nothing.
            await connection.execute("SELECT set_config('app.scope', 'tenant', true)")
            assert await connection.fetchval(f"SELECT count(*) FROM {table}") == 0
        if table == "idempotency_keys":
            async with connection.transaction():
                await connection.execute(
                    "SELECT set_config('app.principal', 'user:admin:operator:x', true)"
                )
                assert await connection.fetchval(f"SELECT count(*) FROM {table}") >= 1
    finally:
        await connection.close()
