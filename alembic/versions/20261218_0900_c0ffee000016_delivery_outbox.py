"""Delivery outbox: messages (e-mail, WhatsApp, webhooks) written in the transaction of the
change that caused them and sent by a job after commit, their attempts, the events the
operator's webhook endpoints receive, and the reminders sent.

* ``webhook_endpoints`` is operator configuration (no tenant, no RLS); secrets are stored
  encrypted (``billing.core.crypto``).
* ``deliveries``, ``delivery_attempts``, ``outbound_events``, ``object_sequences`` and
  ``invoice_notices`` are tenant-owned: ``tenant_id`` leads every primary key, RLS as
  everywhere. Attempts, events and notices are append-only.
* ``ix_invoice_notices_tenant_id_invoice_id_step`` makes each reminder step exist once per
  invoice, whichever worker runs the reminder job.
* ``billing_due_delivery_refs`` and ``billing_reminder_invoice_refs`` give the sweep and the
  reminder job their work lists across tenants (ids only, like the other ``billing_*_ref``
  resolvers); each item is then handled under its own tenant's scope.

Revision ID: c0ffee000016
Revises: c0ffee000015
Create Date: 2026-12-17 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from billing.models import rls

revision: str = "c0ffee000016"
down_revision: str | None = "c0ffee000015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "object_sequences",
    "outbound_events",
    "deliveries",
    "delivery_attempts",
    "invoice_notices",
)

RESOLVERS = {
    "billing_due_delivery_refs(p_before timestamptz, p_limit integer)": (
        "SELECT tenant_id, id FROM deliveries"
        " WHERE status = 'pending' AND next_attempt_at <= p_before"
        " ORDER BY next_attempt_at LIMIT p_limit"
    ),
    "billing_reminder_invoice_refs(p_from date, p_to date, p_after uuid, p_limit integer)": (
        "SELECT tenant_id, id FROM invoices"
        " WHERE status IN ('issued', 'sent') AND due_date BETWEEN p_from AND p_to"
        " AND id > p_after ORDER BY id LIMIT p_limit"
    ),
}


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("event_types", sa.ARRAY(sa.String(length=60)), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("secret_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("previous_secret_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_table(
        "object_sequences",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("last_sequence", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_object_sequences_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "object_id", name=op.f("pk_object_sequences")),
    )
    op.create_table(
        "outbound_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_outbound_events_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_outbound_events")),
    )
    op.create_index(
        "ix_outbound_events_tenant_id_object_id_sequence",
        "outbound_events",
        ["tenant_id", "object_id", "sequence"],
        unique=True,
    )
    op.create_table(
        "deliveries",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("event_type", sa.String(length=60), nullable=True),
        sa.Column("endpoint_id", sa.Uuid(), nullable=True),
        sa.Column("recipients", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_response_code", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_deliveries_endpoint_id_webhook_endpoints"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "event_id"],
            ["outbound_events.tenant_id", "outbound_events.id"],
            name=op.f("fk_deliveries_tenant_id_event_id_outbound_events"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            name=op.f("fk_deliveries_tenant_id_invoice_id_invoices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_deliveries_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_deliveries")),
    )
    op.create_index("ix_deliveries_endpoint_id", "deliveries", ["endpoint_id"], unique=False)
    op.create_index(
        "ix_deliveries_status_next_attempt_at",
        "deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        "ix_deliveries_tenant_id_created_at_id",
        "deliveries",
        ["tenant_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_deliveries_tenant_id_invoice_id",
        "deliveries",
        ["tenant_id", "invoice_id"],
        unique=False,
    )
    op.create_table(
        "invoice_notices",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            name=op.f("fk_invoice_notices_tenant_id_invoice_id_invoices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_invoice_notices_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invoice_notices")),
    )
    op.create_index(
        "ix_invoice_notices_tenant_id_invoice_id_step",
        "invoice_notices",
        ["tenant_id", "invoice_id", "step"],
        unique=True,
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "delivery_id"],
            ["deliveries.tenant_id", "deliveries.id"],
            name=op.f("fk_delivery_attempts_tenant_id_delivery_id_deliveries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_attempts_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_delivery_attempts")),
    )
    op.create_index(
        "ix_delivery_attempts_tenant_id_delivery_id_number",
        "delivery_attempts",
        ["tenant_id", "delivery_id", "number"],
        unique=True,
    )
    role = rls.app_role_name()
    quoted_role = '"' + role.replace('"', '""') + '"'
    for table in TENANT_TABLES:
        for statement in rls.enable_tenant_rls(table):
            op.execute(statement)
    for statement in rls.grant_app_role(role):
        op.execute(statement)
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
    op.drop_index(
        "ix_delivery_attempts_tenant_id_delivery_id_number", table_name="delivery_attempts"
    )
    op.drop_table("delivery_attempts")
    op.drop_index("ix_invoice_notices_tenant_id_invoice_id_step", table_name="invoice_notices")
    op.drop_table("invoice_notices")
    op.drop_index("ix_deliveries_tenant_id_invoice_id", table_name="deliveries")
    op.drop_index("ix_deliveries_tenant_id_created_at_id", table_name="deliveries")
    op.drop_index("ix_deliveries_status_next_attempt_at", table_name="deliveries")
    op.drop_index("ix_deliveries_endpoint_id", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_outbound_events_tenant_id_object_id_sequence", table_name="outbound_events")
    op.drop_table("outbound_events")
    op.drop_table("object_sequences")
    op.drop_table("webhook_endpoints")
