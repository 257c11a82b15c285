"""Row-level security DDL shared by migrations.

Access is expressed through three transaction-local settings that ``billing.core.tenancy``
sets at the start of every request or job:

* ``app.scope``: ``admin`` (all tenants), ``reseller`` or ``tenant``;
* ``app.tenant_id``: the tenant of a tenant principal;
* ``app.reseller_ids``: a reseller's subtree as a uuid array literal.

Every comparison goes through ``NULLIF(current_setting(name, true), '')``: a setting that was never
made is NULL and one left behind by an earlier pooled transaction is '' (also NULL), so a
connection without a scope sees no rows at all.
"""

from __future__ import annotations

APP_SCOPE = "NULLIF(current_setting('app.scope', true), '')"
APP_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
APP_RESELLERS = "NULLIF(current_setting('app.reseller_ids', true), '')::uuid[]"


def tenant_visible(column: str = "tenant_id") -> str:
    """SQL predicate: the row's tenant is visible in the current scope."""
    return (
        f"({APP_SCOPE} = 'admin'"
        f" OR {column} = {APP_TENANT}"
        f" OR ({APP_SCOPE} = 'reseller' AND {column} IN ("
        f"SELECT t.id FROM tenants t WHERE t.reseller_id = ANY ({APP_RESELLERS}))))"
    )


def enable_tenant_rls(table: str, column: str = "tenant_id") -> list[str]:
    """Statements enabling and forcing RLS on a tenant-owned table with a fail-closed policy."""
    predicate = tenant_visible(column)
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING {predicate} WITH CHECK {predicate}",
    ]


def tenants_table_rls() -> list[str]:
    """RLS for ``tenants`` itself: a reseller sees tenants whose reseller is in its subtree."""
    predicate = (
        f"({APP_SCOPE} = 'admin' OR id = {APP_TENANT}"
        f" OR ({APP_SCOPE} = 'reseller' AND reseller_id = ANY ({APP_RESELLERS})))"
    )
    return [
        "ALTER TABLE tenants ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE tenants FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON tenants USING {predicate} WITH CHECK {predicate}",
    ]


def create_app_role(role: str) -> list[str]:
    """Create the unprivileged API role (cluster-wide, so tolerate concurrent creation)."""
    quoted = _quote(role)
    literal = role.replace("'", "''")
    return [
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{literal}') THEN
                CREATE ROLE {quoted} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END
        $$
        """,
        # The owner must be a member to SET ROLE (superusers are implicitly).
        f"""
        DO $$
        BEGIN
            EXECUTE format('GRANT %I TO %I', '{literal}', current_user);
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END
        $$
        """,
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {quoted}",
    ]


def api_keys_rls() -> list[str]:
    """RLS for ``api_keys``: admins see all; authentication sees only the key it looks up."""
    predicate = (
        f"({APP_SCOPE} = 'admin'"
        " OR key_hash = NULLIF(current_setting('app.api_key_hash', true), ''))"
    )
    return [
        "ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE api_keys FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY api_key_access ON api_keys USING {predicate} WITH CHECK {predicate}",
    ]


def app_role_name() -> str:
    """The configured API role (``BILLING_APP_ROLE``)."""
    from billing.config import get_settings

    return get_settings().app_role


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


APPEND_ONLY_TABLES = (
    "payments",
    "payment_allocations",
    "refunds",
    "wallet_entries",
    "invoice_documents",
    "cash_transactions",
)
"""Tables the API role may insert into and read, never update or delete (money, documents)."""

STATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "payment_transactions": (
        "status",
        "failure_code",
        "failure_message",
        "gateway_data",
        "payment_id",
        "provider_ref",
        "completed_at",
        "updated_at",
    ),
    "cod_payments": (
        "status",
        "failed_attempts",
        "collector",
        "delivery_agent_id",
        "notes",
        "collected_at",
        "verified_at",
        "verified_by",
        "updated_at",
    ),
    "subscription_charges": ("state", "invoice_id", "wallet_entry_id", "updated_at"),
}
"""Attempts are state machines: never deleted, and only their state columns change (what was
asked, of whom, for how much stays as first written). The money they produce goes to the
append-only tables above."""


def grant_app_role(role: str) -> list[str]:
    """Re-grant table privileges after a migration creates tables.

    Granting on ALL TABLES would hand UPDATE and DELETE back on the append-only tables, so
    the same statements take them away again for every one that exists.
    """
    quoted = _quote(role)
    literal = role.replace("'", "''")
    restricted = (*APPEND_ONLY_TABLES, *STATE_COLUMNS)
    tables = ", ".join(f"'{table}'" for table in restricted)
    column_grants = [
        f"""
        DO $$
        BEGIN
            IF to_regclass('public.{table}') IS NOT NULL THEN
                EXECUTE format('GRANT UPDATE ({", ".join(columns)}) ON {table} TO %I',
                               '{literal}');
            END IF;
        END
        $$
        """
        for table, columns in STATE_COLUMNS.items()
    ]
    return [
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"""
        DO $$
        DECLARE item text;
        BEGIN
            FOREACH item IN ARRAY ARRAY[{tables}] LOOP
                IF to_regclass('public.' || item) IS NOT NULL THEN
                    EXECUTE format('REVOKE UPDATE, DELETE ON %I FROM %I', item, '{literal}');
                END IF;
            END LOOP;
        END
        $$
        """,
        *column_grants,
    ]


APP_PRINCIPAL = "NULLIF(current_setting('app.principal', true), '')"
APP_INBOX = "NULLIF(current_setting('app.inbox', true), '')"


def idempotency_keys_rls() -> list[str]:
    """RLS for ``idempotency_keys``: a transaction sees the keys of the principal it claimed
    for, nothing else (no scope, not even admin, reads another principal's responses)."""
    predicate = f"(principal_key = {APP_PRINCIPAL})"
    return [
        "ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY principal_keys ON idempotency_keys USING {predicate}"
        f" WITH CHECK {predicate}",
    ]


def webhook_events_rls() -> list[str]:
    """RLS for ``webhook_events``: the inbox (delivery routes and settlement jobs, which set
    ``app.inbox``) and operator staff see deliveries; tenants and resellers never do."""
    predicate = f"({APP_INBOX} = 'on' OR {APP_SCOPE} = 'admin')"
    return [
        "ALTER TABLE webhook_events ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE webhook_events FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY inbox_access ON webhook_events USING {predicate} WITH CHECK {predicate}",
    ]
