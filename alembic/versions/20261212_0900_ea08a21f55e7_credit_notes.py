"""Credit notes: documents of their own (type 381), their lines and stored renditions; the
invoice's credited amount; ledger rows that name the credit note which moved money.

* ``credit_notes``, ``credit_note_lines`` and ``credit_note_documents`` are tenant tables under
  row-level security and append-only for the API role (``rls.grant_app_role``): a credit note is
  frozen from the moment it is issued.
* ``invoices.amount_credited`` is the sum of the invoice's credit notes; what is due becomes
  ``total_amount - amount_credited - amount_paid``.
* ``payment_allocations``, ``refunds`` and ``wallet_entries`` get a nullable ``credit_note_id``:
  money a credit note refunded or moved to the wallet stays traceable to it.

Revision ID: ea08a21f55e7
Revises: c0ffee000009
Create Date: 2026-12-12 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from billing.models import rls

revision: str = "ea08a21f55e7"
down_revision: str | None = "c0ffee000009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(precision=20, scale=4)
QUANTITY = sa.Numeric(precision=20, scale=6)
TABLES = ("credit_notes", "credit_note_lines", "credit_note_documents")


def _created_at() -> sa.Column[sa.DateTime]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["tenants.id"],
        name=op.f(f"fk_{table}_tenant_id_tenants"),
        ondelete="RESTRICT",
    )


def upgrade() -> None:
    op.add_column(
        "invoices",
        sa.Column("amount_credited", MONEY, server_default=sa.text("0"), nullable=False),
    )
    op.alter_column("invoices", "amount_credited", server_default=None)
    for table in ("payment_allocations", "refunds", "wallet_entries"):
        op.add_column(table, sa.Column("credit_note_id", sa.Uuid(), nullable=True))

    op.create_table(
        "credit_notes",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("credit_note_number", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("subtotal", MONEY, nullable=False),
        sa.Column("discount_amount", MONEY, nullable=False),
        sa.Column("discount_split", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("tax_amount", MONEY, nullable=False),
        sa.Column("total_amount", MONEY, nullable=False),
        sa.Column("settlement", sa.String(length=20), nullable=False),
        sa.Column("balance_reduction", MONEY, nullable=False),
        sa.Column("refunded_amount", MONEY, nullable=False),
        sa.Column("wallet_amount", MONEY, nullable=False),
        sa.Column("invoice_number", sa.String(length=64), nullable=False),
        sa.Column("invoice_issue_date", sa.Date(), nullable=False),
        sa.Column("buyer", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("seller", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("buyer_reference", sa.String(length=200), nullable=True),
        sa.Column("purchase_order_reference", sa.String(length=200), nullable=True),
        sa.Column("destination_country", sa.String(length=2), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            name=op.f("fk_credit_notes_tenant_id_invoice_id_invoices"),
        ),
        _tenant_fk("credit_notes"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("credit_note_number", name=op.f("uq_credit_notes_credit_note_number")),
    )
    op.create_index(
        "ix_credit_notes_tenant_id_invoice_id", "credit_notes", ["tenant_id", "invoice_id"]
    )
    op.create_index(
        "ix_credit_notes_tenant_id_issue_date", "credit_notes", ["tenant_id", "issue_date"]
    )

    op.create_table(
        "credit_note_lines",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("credit_note_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("invoice_line_id", sa.Uuid(), nullable=True),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.Column("unit_code", sa.String(length=3), nullable=False),
        sa.Column("unit_price", QUANTITY, nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("tax_category", sa.String(length=2), nullable=False),
        sa.Column("tax_exemption_reason_code", sa.String(length=40), nullable=True),
        sa.Column("tax_exemption_reason", sa.String(length=500), nullable=True),
        sa.Column("line_total", MONEY, nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "credit_note_id"],
            ["credit_notes.tenant_id", "credit_notes.id"],
            name=op.f("fk_credit_note_lines_tenant_id_credit_note_id_credit_notes"),
        ),
        _tenant_fk("credit_note_lines"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_credit_note_lines")),
    )
    op.create_index(
        "ix_credit_note_lines_tenant_id_credit_note_id",
        "credit_note_lines",
        ["tenant_id", "credit_note_id"],
    )

    op.create_table(
        "credit_note_documents",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("credit_note_id", sa.Uuid(), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("paper_size", sa.String(length=40), nullable=False),
        sa.Column("renderer_version", sa.Integer(), nullable=False),
        sa.Column("presentation_key", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "credit_note_id"],
            ["credit_notes.tenant_id", "credit_notes.id"],
            name=op.f("fk_credit_note_documents_tenant_id_credit_note_id_credit_notes"),
        ),
        _tenant_fk("credit_note_documents"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_credit_note_documents")),
        sa.UniqueConstraint(
            "tenant_id",
            "credit_note_id",
            "format",
            "paper_size",
            "renderer_version",
            "presentation_key",
            name=op.f("uq_credit_note_documents_rendition"),
        ),
    )
    for table in TABLES:
        for statement in rls.enable_tenant_rls(table):
            op.execute(statement)
    # grant_app_role keeps the money and document tables append-only (rls.APPEND_ONLY_TABLES).
    for statement in rls.grant_app_role(rls.app_role_name()):
        op.execute(statement)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    for table in ("payment_allocations", "refunds", "wallet_entries"):
        op.drop_column(table, "credit_note_id")
    op.drop_column("invoices", "amount_credited")
