"""Row-level security read once per query, and lookups by id that need no tenant.

* Every policy now reads its settings through scalar sub-selects (``billing.models.rls``): the
  planner evaluates them once per query instead of once per row, and keeps the index
  conditions of ``tenant_id = <value>``. A count over 100,000 invoices of one tenant no longer
  calls ``current_setting`` 100,000 times.
* Staff look objects up by id alone, but the primary keys lead with ``tenant_id``: unique
  indexes on ``id`` serve those lookups.

Revision ID: c0ffee000009
Revises: c0ffee000008
Create Date: 2026-12-05 10:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from billing.models import rls

revision: str = "c0ffee000009"
down_revision: str | None = "c0ffee000008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID_LOOKUPS = ("invoices", "payment_transactions", "payments", "payment_methods", "cod_payments")


def _policies() -> list[tuple[str, str, str]]:
    """(table, policy, predicate) of every policy the service defines."""
    bind = op.get_bind()
    tenant_tables = [
        row[0]
        for row in bind.execute(
            sa.text(
                "SELECT tablename FROM pg_policies WHERE schemaname = 'public'"
                " AND policyname = 'tenant_isolation' AND tablename <> 'tenants'"
            )
        )
    ]
    return [
        *((table, "tenant_isolation", rls.tenant_visible()) for table in tenant_tables),
        ("tenants", "tenant_isolation", rls.tenants_predicate()),
        ("api_keys", "api_key_access", rls.api_keys_predicate()),
        ("idempotency_keys", "principal_keys", rls.principal_predicate()),
        ("webhook_events", "inbox_access", rls.inbox_predicate()),
    ]


def upgrade() -> None:
    for table, policy, predicate in _policies():
        for statement in rls.replace_policy(table, policy, predicate):
            op.execute(statement)
    for table in ID_LOOKUPS:
        op.create_index(f"ix_{table}_id", table, ["id"], unique=True)


def downgrade() -> None:
    for table in ID_LOOKUPS:
        op.drop_index(f"ix_{table}_id", table_name=table)
    # The per-row form of the same predicates.
    for table, policy, predicate in _policies():
        per_row = predicate.replace("(SELECT NULLIF(", "(NULLIF(")
        for statement in rls.replace_policy(table, policy, per_row):
            op.execute(statement)
