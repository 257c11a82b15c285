"""Saved payment methods (Stripe PaymentMethods, Mollie mandates) and provider customers.

Revision ID: c0ffee000007
Revises: c0ffee000006
Create Date: 2026-11-21 08:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from billing.models import rls

revision: str = "c0ffee000007"
down_revision: str | None = "c0ffee000006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_methods",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=30), nullable=False),
        sa.Column("method_type", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("provider_customer_id", sa.String(length=200), nullable=False),
        sa.Column("setup_ref", sa.String(length=200), nullable=True),
        sa.Column("provider_ref", sa.String(length=200), nullable=True),
        sa.Column("brand", sa.String(length=50), nullable=True),
        sa.Column("last4", sa.String(length=4), nullable=True),
        sa.Column("exp_month", sa.Integer(), nullable=True),
        sa.Column("exp_year", sa.Integer(), nullable=True),
        sa.Column("mandate_status", sa.String(length=20), nullable=True),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("failure_code", sa.String(length=100), nullable=True),
        sa.Column("failure_message", sa.String(length=500), nullable=True),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
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
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_payment_methods_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_payment_methods")),
    )
    op.create_index(
        "uq_payment_methods_provider_provider_ref",
        "payment_methods",
        ["provider", "provider_ref"],
        unique=True,
    )
    op.create_index(
        "uq_payment_methods_provider_setup_ref",
        "payment_methods",
        ["provider", "setup_ref"],
        unique=True,
    )
    # Exactly one default per tenant, whatever the race between two "set default" calls.
    op.create_index(
        "uq_payment_methods_tenant_id_default",
        "payment_methods",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "provider_customers",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=30), nullable=False),
        sa.Column("provider_customer_id", sa.String(length=200), nullable=False),
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
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_provider_customers_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_provider_customers")),
    )
    op.create_index(
        "uq_provider_customers_provider_customer_id",
        "provider_customers",
        ["provider", "provider_customer_id"],
        unique=True,
    )
    op.create_index(
        "uq_provider_customers_tenant_id_provider",
        "provider_customers",
        ["tenant_id", "provider"],
        unique=True,
    )
    for table in ("payment_methods", "provider_customers"):
        for statement in rls.enable_tenant_rls(table):
            op.execute(statement)
    role = rls.app_role_name()
    # grant_app_role keeps the money and document tables append-only (rls.APPEND_ONLY_TABLES).
    for statement in rls.grant_app_role(role):
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("uq_provider_customers_tenant_id_provider", table_name="provider_customers")
    op.drop_index("uq_provider_customers_provider_customer_id", table_name="provider_customers")
    op.drop_table("provider_customers")
    op.drop_index(
        "uq_payment_methods_tenant_id_default",
        table_name="payment_methods",
        postgresql_where=sa.text("is_default"),
    )
    op.drop_index("uq_payment_methods_provider_setup_ref", table_name="payment_methods")
    op.drop_index("uq_payment_methods_provider_provider_ref", table_name="payment_methods")
    op.drop_table("payment_methods")
