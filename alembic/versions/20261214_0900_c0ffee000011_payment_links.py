"""Payment links (seed 004): payment accounts, the link of each payment-link invoice, and the
language of every invoice.

* ``payment_accounts`` is operator configuration (like the catalog): no tenant, no RLS.
* ``payment_links`` is tenant data (RLS) and append-only for the API role: a link is written
  with its invoice and never changes. ``(merchant, transaction_id)`` is unique, so two
  concurrent creations with one transaction id make one invoice.
* ``invoices.language`` chooses the language of the public page and the PDF labels (NULL is
  English, as before).

Revision ID: c0ffee000011
Revises: 5a1e7b93c2d4
Create Date: 2026-12-14 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from billing.models import rls

revision: str = "c0ffee000011"
down_revision: str | None = "5a1e7b93c2d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("identifier", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("accepted_methods", sa.ARRAY(sa.String(length=30)), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_accounts")),
        sa.UniqueConstraint("identifier", name=op.f("uq_payment_accounts_identifier")),
    )
    op.create_table(
        "payment_links",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("merchant", sa.String(length=64), nullable=False),
        sa.Column("transaction_id", sa.String(length=100), nullable=False),
        sa.Column("payment_account_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("customer", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["payment_account_id"],
            ["payment_accounts.id"],
            name=op.f("fk_payment_links_payment_account_id_payment_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            name=op.f("fk_payment_links_tenant_id_invoice_id_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_payment_links_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_payment_links")),
    )
    op.create_index(
        "ix_payment_links_merchant_transaction_id",
        "payment_links",
        ["merchant", "transaction_id"],
        unique=True,
    )
    op.create_index(
        op.f("ix_payment_links_payment_account_id"),
        "payment_links",
        ["payment_account_id"],
        unique=False,
    )
    op.create_index(
        "ix_payment_links_tenant_id_invoice_id",
        "payment_links",
        ["tenant_id", "invoice_id"],
        unique=True,
    )
    op.add_column("invoices", sa.Column("language", sa.String(length=8), nullable=True))
    for statement in rls.enable_tenant_rls("payment_links"):
        op.execute(statement)
    # grant_app_role keeps payment_links append-only (rls.APPEND_ONLY_TABLES).
    for statement in rls.grant_app_role(rls.app_role_name()):
        op.execute(statement)


def downgrade() -> None:
    op.drop_column("invoices", "language")
    op.drop_index("ix_payment_links_tenant_id_invoice_id", table_name="payment_links")
    op.drop_index(op.f("ix_payment_links_payment_account_id"), table_name="payment_links")
    op.drop_index("ix_payment_links_merchant_transaction_id", table_name="payment_links")
    op.drop_table("payment_links")
    op.drop_table("payment_accounts")
