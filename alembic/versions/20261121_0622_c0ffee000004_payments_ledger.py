"""Payments ledger: attempts, refunds, wallet, cash and cash-on-delivery records.

Revision ID: c0ffee000004
Revises: 213bbe68739a
Create Date: 2026-11-21 06:22:17.811570+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from billing.models import rls

revision: str = "c0ffee000004"
down_revision: str | None = "213bbe68739a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_transactions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("provider", sa.String(length=30), nullable=True),
        sa.Column("provider_ref", sa.String(length=200), nullable=True),
        sa.Column("amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("failure_code", sa.String(length=100), nullable=True),
        sa.Column("failure_message", sa.String(length=500), nullable=True),
        sa.Column("gateway_data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
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
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_payment_transactions_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_payment_transactions")),
    )
    op.create_index(
        "ix_payment_transactions_provider_provider_ref",
        "payment_transactions",
        ["provider", "provider_ref"],
        unique=True,
    )
    op.create_index(
        "ix_payment_transactions_reference", "payment_transactions", ["reference"], unique=True
    )
    op.create_index(
        "ix_payment_transactions_status_created_at",
        "payment_transactions",
        ["status", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_payment_transactions_tenant_id_invoice_id",
        "payment_transactions",
        ["tenant_id", "invoice_id"],
        unique=False,
    )
    op.create_table(
        "wallet_entries",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("refund_id", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_wallet_entries_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_wallet_entries")),
    )
    op.create_index(
        "ix_wallet_entries_tenant_id_currency",
        "wallet_entries",
        ["tenant_id", "currency"],
        unique=False,
    )
    op.create_table(
        "cash_transactions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_due", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("amount_given", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("change_amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("processed_by", sa.String(length=200), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
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
            name=op.f("fk_cash_transactions_tenant_id_invoice_id_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_cash_transactions_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_cash_transactions")),
    )
    op.create_index(
        "ix_cash_transactions_tenant_id_invoice_id",
        "cash_transactions",
        ["tenant_id", "invoice_id"],
        unique=False,
    )
    op.create_table(
        "cod_payments",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("collector", sa.String(length=200), nullable=True),
        sa.Column("delivery_agent_id", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.String(length=200), nullable=True),
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
            name=op.f("fk_cod_payments_tenant_id_invoice_id_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_cod_payments_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_cod_payments")),
    )
    op.create_index(
        "ix_cod_payments_tenant_id_invoice_id",
        "cod_payments",
        ["tenant_id", "invoice_id"],
        unique=False,
    )
    op.create_table(
        "refunds",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("provider_ref", sa.String(length=200), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "payment_id"],
            ["payments.tenant_id", "payments.id"],
            name=op.f("fk_refunds_tenant_id_payment_id_payments"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_refunds_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_refunds")),
    )
    op.create_index(
        "ix_refunds_tenant_id_payment_id", "refunds", ["tenant_id", "payment_id"], unique=False
    )
    op.add_column("payment_allocations", sa.Column("refund_id", sa.Uuid(), nullable=True))
    op.add_column("payments", sa.Column("transaction_id", sa.Uuid(), nullable=True))
    for table in (
        "payment_transactions",
        "wallet_entries",
        "cash_transactions",
        "cod_payments",
        "refunds",
    ):
        for statement in rls.enable_tenant_rls(table):
            op.execute(statement)
    for statement in rls.grant_app_role(rls.app_role_name()):
        op.execute(statement)


def downgrade() -> None:
    op.drop_column("payments", "transaction_id")
    op.drop_column("payment_allocations", "refund_id")
    op.drop_index("ix_refunds_tenant_id_payment_id", table_name="refunds")
    op.drop_table("refunds")
    op.drop_index("ix_cod_payments_tenant_id_invoice_id", table_name="cod_payments")
    op.drop_table("cod_payments")
    op.drop_index("ix_cash_transactions_tenant_id_invoice_id", table_name="cash_transactions")
    op.drop_table("cash_transactions")
    op.drop_index("ix_wallet_entries_tenant_id_currency", table_name="wallet_entries")
    op.drop_table("wallet_entries")
    op.drop_index("ix_payment_transactions_tenant_id_invoice_id", table_name="payment_transactions")
    op.drop_index("ix_payment_transactions_status_created_at", table_name="payment_transactions")
    op.drop_index("ix_payment_transactions_reference", table_name="payment_transactions")
    op.drop_index(
        "ix_payment_transactions_provider_provider_ref", table_name="payment_transactions"
    )
    op.drop_table("payment_transactions")
