"""A database role per kind of scope, each with policies the planner can read.

The combined policy (``app.scope = 'admin' OR tenant_id = <tenant> OR ...``) is one OR the
planner cannot see through: it estimates it at about 1 % of the rows, so for a tenant with
5,000 invoices among 300 tenants it expects 54 and sorts them all rather than walk the index
that is already in the list's order. A transaction now also takes the role of its scope
(``app_tenant``, ``app_reseller``, ``app_admin``), whose single policy per table
(``tenant_id = <tenant>``, the subtree, or every row) is exactly the query's own filter.

* The scope roles are created, may be assumed by the connecting role, and get the
  application role's grants (not its membership: its policies would apply to them too).
* Every tenant-owned table and ``tenants`` get one policy per scope role; the application
  role's combined policy stays (capabilities and resolvers run under it) but applies to it
  alone. ``api_keys``, ``idempotency_keys`` and ``webhook_events`` keep their policies,
  which apply to every role.
* The resolver functions may be called under any scope role.

Revision ID: c0ffee000012
Revises: c0ffee000011
Create Date: 2026-12-15 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from billing.models import rls

revision: str = "c0ffee000012"
down_revision: str | None = "c0ffee000011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant_tables() -> list[str]:
    bind = op.get_bind()
    return [
        row[0]
        for row in bind.execute(
            sa.text(
                "SELECT tablename FROM pg_policies WHERE schemaname = 'public'"
                " AND policyname = 'tenant_isolation' AND tablename <> 'tenants' ORDER BY 1"
            )
        )
    ]


def _resolvers() -> list[str]:
    bind = op.get_bind()
    return [
        row[0]
        for row in bind.execute(
            sa.text(
                "SELECT p.oid::regprocedure::text FROM pg_proc p"
                " JOIN pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname = 'public' AND p.proname LIKE 'billing\\_%\\_ref\\_%'"
            )
        )
    ]


def upgrade() -> None:
    role = rls.app_role_name()
    for statement in (*rls.create_scope_roles(role), *rls.grant_app_role(role)):
        op.execute(statement)
    for table in _tenant_tables():
        for statement in rls.enable_tenant_rls(table):
            op.execute(statement)
    for statement in rls.tenants_table_rls():
        op.execute(statement)
    for function in _resolvers():
        for scope in rls.scope_role_names(role):
            op.execute(f'GRANT EXECUTE ON FUNCTION {function} TO "{scope}"')


def downgrade() -> None:
    role = rls.app_role_name()
    for function in _resolvers():
        for scope in rls.scope_role_names(role):
            op.execute(f'REVOKE EXECUTE ON FUNCTION {function} FROM "{scope}"')
    for table in [*_tenant_tables(), "tenants"]:
        for name in rls.SCOPE_POLICIES.values():
            op.execute(f"DROP POLICY IF EXISTS {name} ON {table}")
        op.execute(f"ALTER POLICY tenant_isolation ON {table} TO PUBLIC")
