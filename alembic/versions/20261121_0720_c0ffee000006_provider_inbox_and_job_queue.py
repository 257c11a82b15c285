"""Provider inbox (webhook_events) and the procrastinate job queue schema.

Revision ID: c0ffee000006
Revises: c0ffee000005
Create Date: 2026-11-21 07:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager
from sqlalchemy.dialects import postgresql
from sqlalchemy.util import await_

from billing.models import rls

revision: str = "c0ffee000006"
down_revision: str | None = "c0ffee000005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=30), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("provider_ref", sa.String(length=200), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("outcome", sa.String(length=100), nullable=True),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint(
            "provider", "dedupe_key", name=op.f("uq_webhook_events_provider_dedupe_key")
        ),
    )
    op.create_index(
        op.f("ix_webhook_events_provider_ref"), "webhook_events", ["provider_ref"], unique=False
    )
    # procrastinate's own schema (tables, types, functions); the API defers jobs through its
    # SQL function inside the request transaction.
    _execute_script(SchemaManager.get_schema())
    for statement in rls.grant_app_role(rls.app_role_name()):
        op.execute(statement)


def _execute_script(script: str) -> None:
    """Run a multi-statement SQL script (prepared statements take one command only)."""
    dbapi_connection = op.get_bind().connection.dbapi_connection
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and hasattr(driver, "execute"):
        await_(driver.execute(script))  # asyncpg: simple query protocol
    else:
        op.execute(script)


def downgrade() -> None:
    op.execute(
        """
        DO $$
        DECLARE item record;
        BEGIN
            FOR item IN SELECT tablename FROM pg_tables
                        WHERE schemaname = 'public' AND tablename LIKE 'procrastinate%' LOOP
                EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', item.tablename);
            END LOOP;
            FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                        JOIN pg_namespace n ON n.oid = p.pronamespace
                        WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate%' LOOP
                EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', item.signature);
            END LOOP;
            FOR item IN SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                        WHERE n.nspname = 'public' AND typname LIKE 'procrastinate%'
                          AND typtype IN ('e', 'c') LOOP
                EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', item.typname);
            END LOOP;
        END
        $$
        """
    )
    op.drop_index(op.f("ix_webhook_events_provider_ref"), table_name="webhook_events")
    op.drop_table("webhook_events")
