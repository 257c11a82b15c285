"""Subscriptions: recurring prices, subscriptions and their items, the per-period schedule
(segments) and charges, the invoices they produced with their collection state, and the
service clock.

* ``prices`` belong to the operator's catalog (no tenant, no RLS); a trigger refuses any change
  of a price's terms once ``used_at`` is set (first subscribed), so what was sold stays what
  is billed.
* The subscription tables are tenant-owned: ``tenant_id`` leads every primary key, RLS as
  everywhere. ``subscription_charges`` rows never go away and only their state columns change.
* ``uq_subscription_invoices_renewal_period`` makes a renewal invoice exist exactly once per
  subscription and period, whoever runs the billing cycle.
* ``billing_due_subscription_refs`` and ``billing_due_collection_refs`` give the billing cycle
  its work list across tenants (ids only, like the other ``billing_*_ref`` resolvers); each
  item is then processed under its own tenant's scope.

Revision ID: c0ffee000013
Revises: c0ffee000012
Create Date: 2026-12-16 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from billing.models import rls

revision: str = "c0ffee000013"
down_revision: str | None = "c0ffee000012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "subscriptions",
    "subscription_items",
    "subscription_segments",
    "subscription_charges",
    "subscription_invoices",
)

# Work lists of the billing cycle, read across tenants for one statement (ids only).
RESOLVERS = {
    "billing_due_subscription_refs(p_today date, p_after uuid, p_limit integer)": (
        "SELECT tenant_id, id FROM subscriptions"
        " WHERE status IN ('trialing', 'active', 'past_due') AND current_period_end <= p_today"
        " AND id > p_after ORDER BY id LIMIT p_limit"
    ),
    "billing_due_collection_refs(p_now timestamptz, p_today date, p_after uuid, p_limit integer)": (
        "SELECT si.tenant_id, si.id FROM subscription_invoices si"
        " JOIN invoices i ON i.tenant_id = si.tenant_id AND i.id = si.invoice_id"
        " JOIN subscriptions s ON s.tenant_id = si.tenant_id AND s.id = si.subscription_id"
        " WHERE si.id > p_after AND ("
        "    (si.collection_state = 'scheduled'"
        "     AND (si.next_attempt_at <= p_now OR i.status IN ('paid', 'cancelled')))"
        "    OR si.collection_state = 'processing'"
        "    OR (si.collection_state = 'awaiting_payment'"
        "        AND (i.status IN ('paid', 'cancelled')"
        "             OR (i.due_date < p_today AND s.status = 'active'))))"
        " ORDER BY si.id LIMIT p_limit"
    ),
}

PRICE_TERMS = (
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

IMMUTABLE_PRICES = f"""
CREATE FUNCTION billing_prices_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.used_at IS NOT NULL AND (
        NEW.used_at IS NULL
        OR ({", ".join(f"NEW.{c}" for c in PRICE_TERMS)})
           IS DISTINCT FROM ({", ".join(f"OLD.{c}" for c in PRICE_TERMS)})
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
        "service_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offset_seconds", sa.Float(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_service_clock_singleton")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_clock")),
    )
    op.create_table(
        "prices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("nickname", sa.String(length=200), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("unit_amount", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("billing_scheme", sa.String(length=20), nullable=False),
        sa.Column("interval", sa.String(length=10), nullable=False),
        sa.Column("interval_count", sa.Integer(), nullable=False),
        sa.Column("billing_timing", sa.String(length=20), nullable=False),
        sa.Column("trial_days", sa.Integer(), nullable=False),
        sa.Column("tax_rate_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("replaces_price_id", sa.Uuid(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.CheckConstraint("interval_count >= 1", name=op.f("ck_prices_interval_count_positive")),
        sa.CheckConstraint("trial_days >= 0", name=op.f("ck_prices_trial_days_not_negative")),
        sa.CheckConstraint("unit_amount >= 0", name=op.f("ck_prices_unit_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_prices_product_id_products"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["replaces_price_id"],
            ["prices.id"],
            name=op.f("fk_prices_replaces_price_id_prices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tax_rate_id"],
            ["tax_rates.id"],
            name=op.f("fk_prices_tax_rate_id_tax_rates"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prices")),
    )
    op.create_index("ix_prices_product_id_active", "prices", ["product_id", "active"], unique=False)
    op.create_index(
        op.f("ix_prices_replaces_price_id"), "prices", ["replaces_price_id"], unique=False
    )
    op.create_index(op.f("ix_prices_tax_rate_id"), "prices", ["tax_rate_id"], unique=False)
    op.create_table(
        "subscriptions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("interval", sa.String(length=10), nullable=False),
        sa.Column("interval_count", sa.Integer(), nullable=False),
        sa.Column("billing_timing", sa.String(length=20), nullable=False),
        sa.Column("collection_method", sa.String(length=30), nullable=False),
        sa.Column("days_until_due", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("billing_anchor_day", sa.Integer(), nullable=False),
        sa.Column("billing_anchor", sa.Date(), nullable=False),
        sa.Column("trial_end", sa.Date(), nullable=True),
        sa.Column("current_period_start", sa.Date(), nullable=False),
        sa.Column("current_period_end", sa.Date(), nullable=False),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.Date(), nullable=True),
        sa.Column("cancellation_reason", sa.String(length=100), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
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
        sa.CheckConstraint(
            "billing_anchor_day BETWEEN 1 AND 31", name=op.f("ck_subscriptions_anchor_day_range")
        ),
        sa.CheckConstraint(
            "current_period_end > current_period_start",
            name=op.f("ck_subscriptions_period_not_empty"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_subscriptions_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_subscriptions")),
    )
    op.create_index(
        "ix_subscriptions_status_current_period_end",
        "subscriptions",
        ["status", "current_period_end"],
        unique=False,
    )
    op.create_index(
        "ix_subscriptions_tenant_id_status", "subscriptions", ["tenant_id", "status"], unique=False
    )
    op.create_table(
        "subscription_charges",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("price_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("service_start", sa.Date(), nullable=False),
        sa.Column("service_end", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("wallet_entry_id", sa.Uuid(), nullable=True),
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
            ["tenant_id", "subscription_id"],
            ["subscriptions.tenant_id", "subscriptions.id"],
            name=op.f("fk_subscription_charges_tenant_id_subscription_id_subscriptions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_subscription_charges_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_subscription_charges")),
    )
    op.create_index(
        "ix_subscription_charges_tenant_id_subscription_id_period_start",
        "subscription_charges",
        ["tenant_id", "subscription_id", "period_start"],
        unique=False,
    )
    op.create_index(
        "ix_subscription_charges_tenant_id_subscription_id_state",
        "subscription_charges",
        ["tenant_id", "subscription_id", "state"],
        unique=False,
    )
    op.create_table(
        "subscription_invoices",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("collection_state", sa.String(length=20), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_id", sa.Uuid(), nullable=True),
        sa.Column("last_failure_code", sa.String(length=100), nullable=True),
        sa.Column("last_failure_message", sa.String(length=500), nullable=True),
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
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            name=op.f("fk_subscription_invoices_tenant_id_invoice_id_invoices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "subscription_id"],
            ["subscriptions.tenant_id", "subscriptions.id"],
            name=op.f("fk_subscription_invoices_tenant_id_subscription_id_subscriptions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_subscription_invoices_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_subscription_invoices")),
    )
    op.create_index(
        "ix_subscription_invoices_collection_state_next_attempt_at",
        "subscription_invoices",
        ["collection_state", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        "ix_subscription_invoices_tenant_id_invoice_id",
        "subscription_invoices",
        ["tenant_id", "invoice_id"],
        unique=False,
    )
    op.create_index(
        "uq_subscription_invoices_renewal_period",
        "subscription_invoices",
        ["tenant_id", "subscription_id", "period_start"],
        unique=True,
        postgresql_where=sa.text("kind = 'renewal'"),
    )
    op.create_table(
        "subscription_items",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("price_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
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
        sa.CheckConstraint("quantity > 0", name=op.f("ck_subscription_items_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["price_id"],
            ["prices.id"],
            name=op.f("fk_subscription_items_price_id_prices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "subscription_id"],
            ["subscriptions.tenant_id", "subscriptions.id"],
            name=op.f("fk_subscription_items_tenant_id_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_subscription_items_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_subscription_items")),
    )
    op.create_index(
        op.f("ix_subscription_items_price_id"), "subscription_items", ["price_id"], unique=False
    )
    op.create_index(
        "ix_subscription_items_tenant_id_subscription_id",
        "subscription_items",
        ["tenant_id", "subscription_id"],
        unique=False,
    )
    op.create_table(
        "subscription_segments",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("price_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=20, scale=6), nullable=False),
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
        sa.CheckConstraint(
            "end_date >= start_date", name=op.f("ck_subscription_segments_days_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "subscription_id"],
            ["subscriptions.tenant_id", "subscriptions.id"],
            name=op.f("fk_subscription_segments_tenant_id_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_subscription_segments_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_subscription_segments")),
    )
    op.create_index(
        "ix_subscription_segments_tenant_id_subscription_id_period_start",
        "subscription_segments",
        ["tenant_id", "subscription_id", "period_start"],
        unique=False,
    )

    role = rls.app_role_name()
    quoted_role = '"' + role.replace('"', '""') + '"'
    op.execute(IMMUTABLE_PRICES)
    op.execute(
        "CREATE TRIGGER prices_immutable_once_used BEFORE UPDATE ON prices"
        " FOR EACH ROW EXECUTE FUNCTION billing_prices_immutable()"
    )
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
    op.execute("DROP TRIGGER IF EXISTS prices_immutable_once_used ON prices")
    op.execute("DROP FUNCTION IF EXISTS billing_prices_immutable()")
    op.drop_index(
        "ix_subscription_segments_tenant_id_subscription_id_period_start",
        table_name="subscription_segments",
    )
    op.drop_table("subscription_segments")
    op.drop_index(
        "ix_subscription_items_tenant_id_subscription_id", table_name="subscription_items"
    )
    op.drop_index(op.f("ix_subscription_items_price_id"), table_name="subscription_items")
    op.drop_table("subscription_items")
    op.drop_index(
        "uq_subscription_invoices_renewal_period",
        table_name="subscription_invoices",
        postgresql_where=sa.text("kind = 'renewal'"),
    )
    op.drop_index(
        "ix_subscription_invoices_tenant_id_invoice_id", table_name="subscription_invoices"
    )
    op.drop_index(
        "ix_subscription_invoices_collection_state_next_attempt_at",
        table_name="subscription_invoices",
    )
    op.drop_table("subscription_invoices")
    op.drop_index(
        "ix_subscription_charges_tenant_id_subscription_id_state", table_name="subscription_charges"
    )
    op.drop_index(
        "ix_subscription_charges_tenant_id_subscription_id_period_start",
        table_name="subscription_charges",
    )
    op.drop_table("subscription_charges")
    op.drop_index("ix_subscriptions_tenant_id_status", table_name="subscriptions")
    op.drop_index("ix_subscriptions_status_current_period_end", table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_index(op.f("ix_prices_tax_rate_id"), table_name="prices")
    op.drop_index(op.f("ix_prices_replaces_price_id"), table_name="prices")
    op.drop_index("ix_prices_product_id_active", table_name="prices")
    op.drop_table("prices")
    op.drop_table("service_clock")
