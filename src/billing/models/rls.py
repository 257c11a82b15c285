"""Row-level security DDL shared by migrations.

Access is expressed through three transaction-local settings that ``billing.core.tenancy``
sets at the start of every request or job:

* ``app.scope``: ``admin`` (all tenants), ``reseller`` or ``tenant``;
* ``app.tenant_id``: the tenant of a tenant principal;
* ``app.reseller_ids``: a reseller's subtree as a uuid array literal.

Every comparison goes through ``NULLIF(current_setting(name, true), '')``: a setting that was never
made is NULL and one left behind by an earlier pooled transaction is '' (also NULL), so a
connection without a scope sees no rows at all.

Each kind of scope also has a database role (``billing.core.tenancy.scope_role``: the
application role ``app`` has ``app_tenant``, ``app_reseller`` and ``app_admin``), which a
transaction takes with its scope. Each of those roles has one policy per table with no OR in
it (``tenant_id = <the tenant>`` for a tenant), which the planner reads as the condition the
query already has: it estimates it from the statistics and keeps the index that serves the
query's order. The application role itself keeps the combined policy (scope setting OR ...)
for what runs without a scope role: public capabilities and the resolvers. The scope roles
are not members of the application role (its policies would apply to them too, ORed); they
receive the same grants instead.
"""

from __future__ import annotations

from billing.core.tenancy import SCOPE_ROLE_SUFFIXES, ScopeKind, scope_role

# Each setting is read through a scalar sub-select: the planner evaluates it once per query (an
# InitPlan) instead of once per row, and keeps ``tenant_id = <value>`` usable as an index
# condition, so a policy costs about what the repository's own filter costs.
APP_SCOPE = "(SELECT NULLIF(current_setting('app.scope', true), ''))"
APP_TENANT = "(SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)"
# The cast stands outside the sub-select: ``= ANY ((SELECT ...))`` would compare with its rows.
APP_RESELLERS = "(SELECT NULLIF(current_setting('app.reseller_ids', true), ''))::uuid[]"


def tenant_visible(column: str = "tenant_id") -> str:
    """SQL predicate: the row's tenant is visible in the current scope."""
    return (
        f"({APP_SCOPE} = 'admin'"
        f" OR {column} = {APP_TENANT}"
        f" OR ({APP_SCOPE} = 'reseller' AND {column} IN ("
        f"SELECT t.id FROM tenants t WHERE t.reseller_id = ANY ({APP_RESELLERS}))))"
    )


def replace_policy(table: str, name: str, predicate: str) -> list[str]:
    """Statements re-creating policy ``name`` of ``table`` with ``predicate``."""
    return [
        f"DROP POLICY IF EXISTS {name} ON {table}",
        f"CREATE POLICY {name} ON {table} USING {predicate} WITH CHECK {predicate}",
    ]


def enable_tenant_rls(table: str, column: str = "tenant_id") -> list[str]:
    """Statements enabling and forcing RLS on a tenant-owned table with fail-closed policies:
    the combined one of the application role and one per scope role."""
    predicate = tenant_visible(column)
    app = _quote(app_role_name())
    return [
        # A database migrated before the scope roles existed meets them here first.
        *create_scope_roles(app_role_name()),
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"CREATE POLICY tenant_isolation ON {table} TO {app}"
        f" USING {predicate} WITH CHECK {predicate}",
        *scope_role_policies(
            table,
            tenant_match=f"{column} = {APP_TENANT}",
            reseller_match=(
                f"{column} IN (SELECT t.id FROM tenants t"
                f" WHERE t.reseller_id = ANY ({APP_RESELLERS}))"
            ),
        ),
    ]


SCOPE_POLICIES = {
    ScopeKind.TENANT: "tenant_rows",
    ScopeKind.RESELLER: "reseller_rows",
    ScopeKind.ADMIN: "admin_rows",
}


def scope_role_policies(table: str, *, tenant_match: str, reseller_match: str) -> list[str]:
    """One policy per scope role on ``table``, each a single condition (admins: every row)."""
    app = app_role_name()
    matches = {ScopeKind.TENANT: tenant_match, ScopeKind.RESELLER: reseller_match}
    statements: list[str] = []
    for kind, name in SCOPE_POLICIES.items():
        role = scope_role(app, kind)
        assert role is not None
        predicate = f"({matches.get(kind, 'true')})"
        statements += [
            f"DROP POLICY IF EXISTS {name} ON {table}",
            f"CREATE POLICY {name} ON {table} TO {_quote(role)}"
            f" USING {predicate} WITH CHECK {predicate}",
        ]
    return statements


def tenants_predicate() -> str:
    """SQL predicate of ``tenants``: a reseller sees tenants whose reseller is in its subtree."""
    return (
        f"({APP_SCOPE} = 'admin' OR id = {APP_TENANT}"
        f" OR ({APP_SCOPE} = 'reseller' AND reseller_id = ANY ({APP_RESELLERS})))"
    )


def tenants_table_rls() -> list[str]:
    """RLS for ``tenants`` itself: a reseller sees tenants whose reseller is in its subtree."""
    predicate = tenants_predicate()
    app = _quote(app_role_name())
    return [
        *create_scope_roles(app_role_name()),
        "ALTER TABLE tenants ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE tenants FORCE ROW LEVEL SECURITY",
        "DROP POLICY IF EXISTS tenant_isolation ON tenants",
        f"CREATE POLICY tenant_isolation ON tenants TO {app}"
        f" USING {predicate} WITH CHECK {predicate}",
        *scope_role_policies(
            "tenants",
            tenant_match=f"id = {APP_TENANT}",
            reseller_match=f"reseller_id = ANY ({APP_RESELLERS})",
        ),
    ]


def create_app_role(role: str) -> list[str]:
    """Create the unprivileged API role and its scope roles (cluster-wide, so tolerate
    concurrent creation), with the privileges of a fresh schema."""
    quoted = _quote(role)
    return [
        *create_scope_roles(role),
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
    ]


def create_scope_roles(role: str) -> list[str]:
    """Create the application role ``role`` and its scope roles where they do not exist yet
    (a policy names them; a database made before the scope roles meets them here)."""
    return [
        statement for name in (role, *scope_role_names(role)) for statement in _create_role(name)
    ]


def scope_role_names(role: str) -> list[str]:
    """The scope roles of the application role ``role``."""
    return [role + suffix for suffix in SCOPE_ROLE_SUFFIXES.values()]


def _create_role(role: str) -> list[str]:
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
        # Tables that exist get their grants from ``grant_app_role`` (which also takes
        # UPDATE and DELETE away on the append-only ones); new tables start with these.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {quoted}",
    ]


def api_keys_predicate() -> str:
    """SQL predicate of ``api_keys``: admins see all; authentication sees the key it looks up."""
    return (
        f"({APP_SCOPE} = 'admin'"
        " OR key_hash = (SELECT NULLIF(current_setting('app.api_key_hash', true), '')))"
    )


def api_keys_rls() -> list[str]:
    """RLS for ``api_keys``: admins see all; authentication sees only the key it looks up."""
    predicate = api_keys_predicate()
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
    "credit_notes",
    "credit_note_lines",
    "credit_note_documents",
    "payment_links",
    "outbound_events",
    "delivery_attempts",
    "invoice_notices",
    "usage_events",
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
    """Re-grant table privileges after a migration creates tables, to the application role
    and to each of its scope roles (made here if the database predates them).

    Granting on ALL TABLES would hand UPDATE and DELETE back on the append-only tables, so
    the same statements take them away again for every one that exists.
    """
    return [
        *create_scope_roles(role),
        *_grants(role),
        *(statement for scope in scope_role_names(role) for statement in _grants(scope)),
    ]


def _grants(role: str) -> list[str]:
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


APP_PRINCIPAL = "(SELECT NULLIF(current_setting('app.principal', true), ''))"
APP_INBOX = "(SELECT NULLIF(current_setting('app.inbox', true), ''))"


def principal_predicate() -> str:
    """SQL predicate of ``idempotency_keys``: the rows of the principal that claimed."""
    return f"(principal_key = {APP_PRINCIPAL})"


def inbox_predicate() -> str:
    """SQL predicate of ``webhook_events``: the inbox (``app.inbox``) and admins."""
    return f"({APP_INBOX} = 'on' OR {APP_SCOPE} = 'admin')"


def idempotency_keys_rls() -> list[str]:
    """RLS for ``idempotency_keys``: a transaction sees the keys of the principal it claimed
    for, nothing else (no scope, not even admin, reads another principal's responses)."""
    predicate = principal_predicate()
    return [
        "ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY principal_keys ON idempotency_keys USING {predicate}"
        f" WITH CHECK {predicate}",
    ]


def webhook_events_rls() -> list[str]:
    """RLS for ``webhook_events``: the inbox (delivery routes and settlement jobs, which set
    ``app.inbox``) and operator staff see deliveries; tenants and resellers never do."""
    predicate = inbox_predicate()
    return [
        "ALTER TABLE webhook_events ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE webhook_events FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY inbox_access ON webhook_events USING {predicate} WITH CHECK {predicate}",
    ]
