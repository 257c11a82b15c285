"""Payments core security: idempotency keys per whole principal and route, encrypted, under RLS;
the provider inbox under RLS; attempts never deleted; capability resolvers for public routes.

* ``idempotency_keys`` is keyed by (principal, method, path, key) and its bodies are encrypted
  by the application. Rows written before this revision hold clear-text bodies scoped too
  loosely, so they are dropped: a retry within 24 h of the upgrade runs once more instead of
  replaying, which every route tolerates (they are idempotent or answer 409).
* ``webhook_events`` is visible to the inbox (``app.inbox``) and admins only.
* ``payment_transactions`` and ``cod_payments`` lose DELETE and keep UPDATE on their state
  columns only; ``cash_transactions`` becomes append-only (``rls.grant_app_role``).
* ``billing_*_ref`` functions resolve one capability (an invoice number, a public id, a
  provider reference...) to the (tenant, id) it names, reading across tenants inside the
  function only, so public routes and jobs never hold a scope wider than one tenant.

Revision ID: c0ffee000008
Revises: c0ffee000007
Create Date: 2026-12-05 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from billing.models import rls

revision: str = "c0ffee000008"
down_revision: str | None = "c0ffee000007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each resolver reads with app.scope = 'admin' for the duration of its one statement
# (``SET`` on a function is restored when it returns) and yields ids only.
RESOLVERS = {
    "billing_invoice_ref_by_number(p_number text)": (
        "SELECT tenant_id, id FROM invoices WHERE invoice_number = p_number"
    ),
    "billing_invoice_ref_by_public_id(p_public_id text)": (
        "SELECT tenant_id, id FROM invoices WHERE public_id = p_public_id"
    ),
    "billing_attempt_ref(p_provider text, p_provider_ref text)": (
        "SELECT tenant_id, id FROM payment_transactions"
        " WHERE provider = p_provider AND provider_ref = p_provider_ref"
    ),
    "billing_attempt_ref_by_reference(p_reference text)": (
        "SELECT tenant_id, id FROM payment_transactions WHERE reference = p_reference"
    ),
    "billing_cod_ref(p_id uuid)": "SELECT tenant_id, id FROM cod_payments WHERE id = p_id",
    "billing_setup_ref(p_provider text, p_setup_ref text)": (
        "SELECT tenant_id, id FROM payment_methods"
        " WHERE provider = p_provider AND setup_ref = p_setup_ref"
    ),
    "billing_method_ref(p_provider text, p_provider_ref text)": (
        "SELECT tenant_id, id FROM payment_methods"
        " WHERE provider = p_provider AND provider_ref = p_provider_ref"
    ),
    "billing_open_attempt_refs(p_before timestamptz, p_limit integer)": (
        "SELECT tenant_id, id FROM payment_transactions"
        " WHERE status IN ('pending', 'processing') AND provider IS NOT NULL"
        " AND created_at < p_before ORDER BY created_at LIMIT p_limit"
    ),
}


def upgrade() -> None:
    role = rls.app_role_name()
    op.drop_table("idempotency_keys")
    _idempotency_table(principal_length=300, key=("principal_key", "method", "path", "key"))
    for statement in (
        *rls.idempotency_keys_rls(),
        *rls.webhook_events_rls(),
        *rls.grant_app_role(role),
    ):
        op.execute(statement)
    quoted_role = '"' + role.replace('"', '""') + '"'
    for signature, query in RESOLVERS.items():
        op.execute(
            f"CREATE FUNCTION {signature} RETURNS TABLE (tenant_id uuid, id uuid)"
            " LANGUAGE sql STABLE SET app.scope = 'admin' SET search_path = public, pg_temp"
            f" AS $$ {query} $$"
        )
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {quoted_role}")


def downgrade() -> None:
    for signature in RESOLVERS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.execute("DROP POLICY IF EXISTS inbox_access ON webhook_events")
    op.execute("ALTER TABLE webhook_events NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE webhook_events DISABLE ROW LEVEL SECURITY")
    op.drop_index(op.f("ix_idempotency_keys_created_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    _idempotency_table(principal_length=200, key=("principal_key", "key"))
    role = rls.app_role_name()
    quoted = '"' + role.replace('"', '""') + '"'
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO {quoted}")
    op.execute(f"GRANT UPDATE, DELETE ON payment_transactions, cod_payments TO {quoted}")
    op.execute(f"GRANT UPDATE, DELETE ON cash_transactions TO {quoted}")


def _idempotency_table(*, principal_length: int, key: tuple[str, ...]) -> None:
    """The ``idempotency_keys`` table with the given primary key (after or before this
    revision)."""
    op.create_table(
        "idempotency_keys",
        sa.Column("principal_key", sa.String(length=principal_length), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_headers", sa.dialects.postgresql.JSONB(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_idempotency_keys")),
    )
    op.create_index(
        op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"], unique=False
    )
