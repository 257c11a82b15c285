"""Indexes in the lists' orders, so a page (first or five-thousandth, by cursor) reads only
its own rows.

* Invoices list by issue date then id, newest first, per tenant and for staff.
* Payment attempts list by creation time then id (staff monitoring, across tenants).
* Credit notes list by creation time then id, per tenant.

Revision ID: c0ffee000010
Revises: ea08a21f55e7
Create Date: 2026-12-13 09:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c0ffee000010"
down_revision: str | None = "ea08a21f55e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_invoices_tenant_id_issue_date", table_name="invoices")
    op.drop_index("ix_invoices_issue_date", table_name="invoices")
    op.create_index(
        "ix_invoices_tenant_id_issue_date_id", "invoices", ["tenant_id", "issue_date", "id"]
    )
    op.create_index("ix_invoices_issue_date_id", "invoices", ["issue_date", "id"])
    op.create_index(
        "ix_payment_transactions_created_at_id", "payment_transactions", ["created_at", "id"]
    )
    op.create_index(
        "ix_credit_notes_tenant_id_created_at_id", "credit_notes", ["tenant_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_credit_notes_tenant_id_created_at_id", table_name="credit_notes")
    op.drop_index("ix_payment_transactions_created_at_id", table_name="payment_transactions")
    op.drop_index("ix_invoices_issue_date_id", table_name="invoices")
    op.drop_index("ix_invoices_tenant_id_issue_date_id", table_name="invoices")
    op.create_index("ix_invoices_issue_date", "invoices", ["issue_date"])
    op.create_index("ix_invoices_tenant_id_issue_date", "invoices", ["tenant_id", "issue_date"])
