"""Row-level security: the catalog is configured, and the app role sees only its scope."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from billing.config import Settings
from billing.core.db import libpq_database_url
from billing.core.tenancy import ScopeKind, scope_role
from billing.models.rls import scope_role_names
from tests.fixtures.factories import Factory


async def _connect(database_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(libpq_database_url(database_url))


def _roles(settings: Settings) -> list[str]:
    """The application role and the role of each kind of scope."""
    return [settings.app_role, *scope_role_names(settings.app_role)]


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
        for role in _roles(settings):
            for table in APPEND_ONLY_TABLES:
                for privilege, expected in (
                    ("INSERT", True),
                    ("UPDATE", False),
                    ("DELETE", False),
                ):
                    allowed = await connection.fetchval(
                        "SELECT has_table_privilege($1, $2, $3)", role, table, privilege
                    )
                    assert allowed is expected, (role, table, privilege)
    finally:
        await connection.close()


async def test_attempts_are_never_deleted_and_change_only_their_state(
    database_url: str, settings: Settings
) -> None:
    from billing.models.rls import STATE_COLUMNS

    connection = await _connect(database_url)
    try:
        for role in _roles(settings):
            for table, columns in STATE_COLUMNS.items():
                assert not await connection.fetchval(
                    "SELECT has_table_privilege($1, $2, 'DELETE')", role, table
                ), (role, table)
                assert not await connection.fetchval(
                    "SELECT has_table_privilege($1, $2, 'UPDATE')", role, table
                ), (role, table)
                for column in columns:
                    assert await connection.fetchval(
                        "SELECT has_column_privilege($1, $2, $3, 'UPDATE')", role, table, column
                    ), (role, table, column)
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


class TestScopeRoles:
    """Each kind of scope runs under its own role, whose policies read only that scope."""

    @pytest.fixture
    async def tree(self, factory: Factory) -> dict[str, uuid.UUID]:
        reseller = await factory.create_reseller()
        inside = await factory.create_tenant(reseller_id=uuid.UUID(reseller["id"]))
        outside = await factory.create_tenant()
        for tenant in (inside, outside):
            await factory.create_invoice(tenant["id"])
        return {
            "reseller": uuid.UUID(reseller["id"]),
            "inside": uuid.UUID(inside["id"]),
            "outside": uuid.UUID(outside["id"]),
        }

    async def _visible(
        self,
        connection: asyncpg.Connection,
        settings: Settings,
        kind: ScopeKind,
        *,
        scope: str,
        tenant: uuid.UUID | None = None,
        resellers: list[uuid.UUID] | None = None,
        table: str = "invoices",
    ) -> set[uuid.UUID]:
        column = "id" if table == "tenants" else "tenant_id"
        async with connection.transaction():
            await connection.execute(
                "SELECT set_config('role', $1, true), set_config('app.scope', $2, true),"
                " set_config('app.tenant_id', $3, true),"
                " set_config('app.reseller_ids', $4, true)",
                scope_role(settings.app_role, kind),
                scope,
                str(tenant) if tenant else "",
                "{" + ",".join(map(str, resellers)) + "}" if resellers else "",
            )
            rows = await connection.fetch(f"SELECT DISTINCT {column} FROM {table}")
        return {row[0] for row in rows}

    async def test_each_role_sees_its_scope(
        self, database_url: str, settings: Settings, tree: dict[str, uuid.UUID]
    ) -> None:
        connection = await _connect(database_url)
        try:
            await connection.execute(f'SET ROLE "{settings.app_role}"')
            inside, outside = tree["inside"], tree["outside"]
            for table in ("invoices", "tenants"):
                tenant = await self._visible(
                    connection, settings, ScopeKind.TENANT, scope="tenant", tenant=inside,
                    table=table,
                )  # fmt: skip
                assert tenant == {inside}, table
                reseller = await self._visible(
                    connection, settings, ScopeKind.RESELLER, scope="reseller",
                    resellers=[tree["reseller"]], table=table,
                )  # fmt: skip
                assert reseller == {inside}, table
                admin = await self._visible(
                    connection, settings, ScopeKind.ADMIN, scope="admin", table=table
                )
                assert {inside, outside} <= admin, table
        finally:
            await connection.close()

    async def test_a_scope_role_ignores_the_other_settings(
        self, database_url: str, settings: Settings, tree: dict[str, uuid.UUID]
    ) -> None:
        """Under the tenant role, claiming ``app.scope = 'admin'`` or a reseller subtree shows
        nothing more; without a tenant it shows nothing at all."""
        connection = await _connect(database_url)
        try:
            await connection.execute(f'SET ROLE "{settings.app_role}"')
            claimed = await self._visible(
                connection, settings, ScopeKind.TENANT, scope="admin", tenant=tree["inside"],
                resellers=[tree["reseller"]],
            )  # fmt: skip
            assert claimed == {tree["inside"]}
            nobody = await self._visible(connection, settings, ScopeKind.TENANT, scope="admin")
            assert nobody == set()
            no_subtree = await self._visible(
                connection, settings, ScopeKind.RESELLER, scope="admin"
            )
            assert no_subtree == set()
        finally:
            await connection.close()

    async def test_a_tenant_role_cannot_write_for_another_tenant(
        self, database_url: str, settings: Settings, tree: dict[str, uuid.UUID]
    ) -> None:
        connection = await _connect(database_url)
        try:
            await connection.execute(f'SET ROLE "{settings.app_role}"')
            async with connection.transaction():
                await connection.execute(
                    "SELECT set_config('role', $1, true), set_config('app.tenant_id', $2, true)",
                    scope_role(settings.app_role, ScopeKind.TENANT),
                    str(tree["inside"]),
                )
                moved = await connection.execute(
                    "UPDATE invoices SET notes = 'x' WHERE tenant_id = $1", tree["outside"]
                )
                assert moved == "UPDATE 0"
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await connection.execute(
                        "UPDATE invoices SET tenant_id = $1 WHERE tenant_id = $2",
                        tree["outside"],
                        tree["inside"],
                    )
        finally:
            await connection.close()

    async def test_scope_roles_are_not_members_of_the_application_role(
        self, database_url: str, settings: Settings
    ) -> None:
        """Membership would apply the application role's combined policies to them too."""
        connection = await _connect(database_url)
        try:
            for role in scope_role_names(settings.app_role):
                assert not await connection.fetchval(
                    "SELECT pg_has_role($1, $2, 'USAGE')", role, settings.app_role
                ), role
        finally:
            await connection.close()
