"""Usage metering: billable metrics, usage events, metered prices and the usage watermark of
subscriptions.

* ``billable_metrics`` belong to the operator (no tenant, no RLS), like the catalog.
* ``usage_events`` are tenant-owned and append-only: ``(tenant_id, transaction_id)`` is the
  primary key (a repeat is dropped by ``ON CONFLICT DO NOTHING``), RLS as everywhere, and the
  API role may insert and read them, never update or delete them. Aggregation reads the
  index ``(tenant_id, metric_id, effective_at)``.
* ``prices`` gain the terms of metered prices (metric, model, package size, tiers), frozen
  with the others once a subscription used the price.
* ``subscriptions.usage_billed_through``: usage counted before it was invoiced.

Revision ID: c0ffee000017
Revises: c0ffee000016
Create Date: 2026-12-17 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from billing.models import rls

revision: str = "c0ffee000017"
down_revision: str | None = "c0ffee000016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BASE_TERMS = (
    "product_id",
    "currency",
    "unit_amount",
    "billing_scheme",
    "interval",
    "interval_count",
    "billing_timing",
    "trial_days",
    "tax_rate_id",
)
USAGE_TERMS = ("billable_metric_id", "usage_model", "package_size", "tiers")


def _immutable_prices(terms: Sequence[str]) -> str:
    return f"""
CREATE OR REPLACE FUNCTION billing_prices_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.used_at IS NOT NULL AND (
        NEW.used_at IS NULL
        OR ({", ".join(f"NEW.{c}" for c in terms)})
           IS DISTINCT FROM ({", ".join(f"OLD.{c}" for c in terms)})
    ) THEN
        RAISE EXCEPTION 'price % is used by subscriptions; its terms cannot change', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "billable_metrics",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("aggregation", sa.String(length=20), nullable=False),
        sa.Column("property", sa.String(length=100), nullable=True),
        sa.Column("filters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billable_metrics")),
        sa.UniqueConstraint("code", name=op.f("uq_billable_metrics_code")),
    )
    op.create_table(
        "usage_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.String(length=200), nullable=False),
        sa.Column("metric_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("properties", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["billable_metrics.id"],
            name=op.f("fk_usage_events_metric_id_billable_metrics"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_usage_events_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "transaction_id", name=op.f("pk_usage_events")),
    )
    op.create_index(
        "ix_usage_events_tenant_id_metric_id_effective_at",
        "usage_events",
        ["tenant_id", "metric_id", "effective_at"],
        unique=False,
    )
    op.add_column("prices", sa.Column("billable_metric_id", sa.Uuid(), nullable=True))
    op.add_column("prices", sa.Column("usage_model", sa.String(length=20), nullable=True))
    op.add_column(
        "prices", sa.Column("package_size", sa.Numeric(precision=20, scale=6), nullable=True)
    )
    op.add_column(
        "prices", sa.Column("tiers", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.create_foreign_key(
        op.f("fk_prices_billable_metric_id_billable_metrics"),
        "prices",
        "billable_metrics",
        ["billable_metric_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_index(
        op.f("ix_prices_billable_metric_id"), "prices", ["billable_metric_id"], unique=False
    )
    op.create_check_constraint(
        op.f("ck_prices_metered_has_model"),
        "prices",
        "(billable_metric_id IS NULL) = (usage_model IS NULL)",
    )
    op.create_check_constraint(
        op.f("ck_prices_package_size_positive"),
        "prices",
        "package_size IS NULL OR package_size > 0",
    )
    op.add_column(
        "subscriptions",
        sa.Column("usage_billed_through", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute(_immutable_prices((*BASE_TERMS, *USAGE_TERMS)))
    for statement in rls.enable_tenant_rls("usage_events"):
        op.execute(statement)
    for statement in rls.grant_app_role(rls.app_role_name()):
        op.execute(statement)


def downgrade() -> None:
    op.execute(_immutable_prices(BASE_TERMS))
    op.drop_column("subscriptions", "usage_billed_through")
    op.drop_constraint(op.f("ck_prices_package_size_positive"), "prices", type_="check")
    op.drop_constraint(op.f("ck_prices_metered_has_model"), "prices", type_="check")
    op.drop_index(op.f("ix_prices_billable_metric_id"), table_name="prices")
    op.drop_constraint(
        op.f("fk_prices_billable_metric_id_billable_metrics"), "prices", type_="foreignkey"
    )
    op.drop_column("prices", "tiers")
    op.drop_column("prices", "package_size")
    op.drop_column("prices", "usage_model")
    op.drop_column("prices", "billable_metric_id")
    op.drop_index("ix_usage_events_tenant_id_metric_id_effective_at", table_name="usage_events")
    op.drop_table("usage_events")
    op.drop_table("billable_metrics")
