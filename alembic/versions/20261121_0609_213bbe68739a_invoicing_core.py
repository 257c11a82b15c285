"""Invoicing core: settings, catalog, billing profiles, invoices, numbering, payments ledger.

Revision ID: 213bbe68739a
Revises: 1aa074b03351
Create Date: 2026-11-21 06:09:03.864898+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from billing.models import rls

revision: str = "213bbe68739a"
down_revision: str | None = "1aa074b03351"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invoice_number_counters",
        sa.Column("series_key", sa.String(length=100), nullable=False),
        sa.Column("last_value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("series_key", name=op.f("pk_invoice_number_counters")),
    )
    op.create_table(
        "invoice_numbers",
        sa.Column("invoice_number", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("invoice_number", name=op.f("pk_invoice_numbers")),
    )
    op.create_table(
        "operator_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_operator_settings_singleton")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_settings")),
    )
    op.create_table(
        "tax_rates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("category", sa.String(length=2), nullable=False),
        sa.Column("exemption_reason_code", sa.String(length=40), nullable=True),
        sa.Column("exemption_reason", sa.String(length=500), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_rates")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("unit_price", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tax_rate_id", sa.Uuid(), nullable=True),
        sa.Column("unit_code", sa.String(length=3), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["tax_rate_id"],
            ["tax_rates.id"],
            name=op.f("fk_products_tax_rate_id_tax_rates"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
    )
    op.create_index(op.f("ix_products_tax_rate_id"), "products", ["tax_rate_id"], unique=False)
    op.create_table(
        "billing_profiles",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("company_name", sa.String(length=300), nullable=True),
        sa.Column("address_line1", sa.String(length=300), nullable=True),
        sa.Column("address_line2", sa.String(length=300), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("state", sa.String(length=120), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("vat_id", sa.String(length=40), nullable=True),
        sa.Column("tax_id", sa.String(length=40), nullable=True),
        sa.Column("legal_registration_id", sa.String(length=60), nullable=True),
        sa.Column("billing_email", sa.String(length=320), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("buyer_reference", sa.String(length=200), nullable=True),
        sa.Column("peppol_endpoint_id", sa.String(length=200), nullable=True),
        sa.Column("peppol_scheme", sa.String(length=4), nullable=True),
        sa.Column("purchase_order_reference", sa.String(length=200), nullable=True),
        sa.Column("preferred_einvoice_format", sa.String(length=20), nullable=True),
        sa.Column("attach_einvoice_to_email", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
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
            name=op.f("fk_billing_profiles_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_billing_profiles")),
    )
    op.create_table(
        "invoices",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_number", sa.String(length=64), nullable=True),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("subtotal", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("discount_amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("tax_amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("amount_paid", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("amount_refunded", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("payment_method", sa.String(length=30), nullable=True),
        sa.Column("payment_reference", sa.String(length=200), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("payment_terms", sa.String(length=500), nullable=True),
        sa.Column("destination_country", sa.String(length=2), nullable=True),
        sa.Column("buyer_reference", sa.String(length=200), nullable=True),
        sa.Column("purchase_order_reference", sa.String(length=200), nullable=True),
        sa.Column("customer", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("buyer", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("seller", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("pdf_url", sa.String(length=1000), nullable=True),
        sa.Column("consolidated_into_id", sa.Uuid(), nullable=True),
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
            name=op.f("fk_invoices_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("invoice_number", name=op.f("uq_invoices_invoice_number")),
        sa.UniqueConstraint("public_id", name=op.f("uq_invoices_public_id")),
    )
    op.create_index("ix_invoices_issue_date", "invoices", ["issue_date"], unique=False)
    op.create_index(
        "ix_invoices_tenant_id_issue_date", "invoices", ["tenant_id", "issue_date"], unique=False
    )
    op.create_index(
        "ix_invoices_tenant_id_status_due_date",
        "invoices",
        ["tenant_id", "status", "due_date"],
        unique=False,
    )
    op.create_table(
        "payments",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("external_reference", sa.String(length=200), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_payments_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_payments")),
    )
    op.create_index("ix_payments_reference", "payments", ["reference"], unique=True)
    op.create_table(
        "invoice_lines",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("unit_code", sa.String(length=3), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("tax_category", sa.String(length=2), nullable=False),
        sa.Column("tax_exemption_reason_code", sa.String(length=40), nullable=True),
        sa.Column("tax_exemption_reason", sa.String(length=500), nullable=True),
        sa.Column("line_total", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("variant_info", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("source_invoice_id", sa.Uuid(), nullable=True),
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
            name=op.f("fk_invoice_lines_tenant_id_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_invoice_lines_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invoice_lines")),
    )
    op.create_index(
        "ix_invoice_lines_tenant_id_invoice_id",
        "invoice_lines",
        ["tenant_id", "invoice_id"],
        unique=False,
    )
    op.create_table(
        "payment_allocations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            name=op.f("fk_payment_allocations_tenant_id_invoice_id_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "payment_id"],
            ["payments.tenant_id", "payments.id"],
            name=op.f("fk_payment_allocations_tenant_id_payment_id_payments"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_payment_allocations_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_payment_allocations")),
    )
    op.create_index(
        "ix_payment_allocations_tenant_id_invoice_id",
        "payment_allocations",
        ["tenant_id", "invoice_id"],
        unique=False,
    )
    op.create_index(
        "ix_payment_allocations_tenant_id_payment_id",
        "payment_allocations",
        ["tenant_id", "payment_id"],
        unique=False,
    )
    for table in (
        "billing_profiles",
        "invoices",
        "invoice_lines",
        "payments",
        "payment_allocations",
    ):
        for statement in rls.enable_tenant_rls(table):
            op.execute(statement)
    for statement in rls.grant_app_role(rls.app_role_name()):
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_payment_allocations_tenant_id_payment_id", table_name="payment_allocations")
    op.drop_index("ix_payment_allocations_tenant_id_invoice_id", table_name="payment_allocations")
    op.drop_table("payment_allocations")
    op.drop_index("ix_invoice_lines_tenant_id_invoice_id", table_name="invoice_lines")
    op.drop_table("invoice_lines")
    op.drop_index("ix_payments_reference", table_name="payments")
    op.drop_table("payments")
    op.drop_index("ix_invoices_tenant_id_status_due_date", table_name="invoices")
    op.drop_index("ix_invoices_tenant_id_issue_date", table_name="invoices")
    op.drop_index("ix_invoices_issue_date", table_name="invoices")
    op.drop_table("invoices")
    op.drop_table("billing_profiles")
    op.drop_index(op.f("ix_products_tax_rate_id"), table_name="products")
    op.drop_table("products")
    op.drop_table("tax_rates")
    op.drop_table("operator_settings")
    op.drop_table("invoice_numbers")
    op.drop_table("invoice_number_counters")
