"""Invoice documents: rendered PDFs and e-invoices of issued invoices, stored once.

Revision ID: c0ffee000005
Revises: c0ffee000004
Create Date: 2026-11-21 07:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from billing.models import rls

revision: str = "c0ffee000005"
down_revision: str | None = "c0ffee000004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invoice_documents",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("paper_size", sa.String(length=40), nullable=False),
        sa.Column("renderer_version", sa.Integer(), nullable=False),
        sa.Column("presentation_key", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            name=op.f("fk_invoice_documents_tenant_id_invoice_id_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_invoice_documents_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invoice_documents")),
        sa.UniqueConstraint(
            "tenant_id",
            "invoice_id",
            "format",
            "paper_size",
            "renderer_version",
            "presentation_key",
            name=op.f("uq_invoice_documents_rendition"),
        ),
    )
    for statement in rls.enable_tenant_rls("invoice_documents"):
        op.execute(statement)
    role = rls.app_role_name()
    # grant_app_role keeps the money and document tables append-only (rls.APPEND_ONLY_TABLES).
    for statement in rls.grant_app_role(role):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("invoice_documents")
