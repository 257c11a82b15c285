"""Invoices keep their reseller and commission rate; one open COD payment per invoice; the
default paper size names a real one.

* ``invoices.reseller_id`` / ``commission_rate``: read from the tenant's reseller when a draft
  is made and frozen at issue (seed 003 shows both on every invoice). Existing invoices of
  resellers' tenants get the reseller's rate as it is now, the best that is known.
* ``uq_cod_payments_open_per_invoice``: a second cash-on-delivery payment cannot be opened
  while one is pending or collected. Duplicates opened before (the defect this closes) keep
  only their newest; the older ones are expired, as their codes would be after 7 days.
* Settings whose ``default_paper_size`` names no paper size (it was stored unchecked) are set
  back to A4, so every default PDF renders again; a ``public_base_url`` that is no http(s)
  URL (also unchecked) is removed, so links fall back to ``BILLING_PUBLIC_BASE_URL``.

Revision ID: 5a1e7b93c2d4
Revises: c0ffee000010
Create Date: 2026-12-13 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from billing.core.schemas import BASE_URL_PATTERN
from billing.renderers.errors import UnknownPaperSizeError
from billing.renderers.paper import DEFAULT_PAPER_SIZE, paper_size

revision: str = "5a1e7b93c2d4"
down_revision: str | None = "c0ffee000010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Row-level security applies to the owner too (FORCE): read and repair as the operator.
    op.execute("SET LOCAL app.scope = 'admin'")
    op.add_column("invoices", sa.Column("reseller_id", sa.Uuid(), nullable=True))
    op.add_column(
        "invoices", sa.Column("commission_rate", sa.Numeric(precision=5, scale=2), nullable=True)
    )
    op.execute(
        "UPDATE invoices SET reseller_id = t.reseller_id, commission_rate = r.commission_rate"
        " FROM tenants t JOIN resellers r ON r.id = t.reseller_id"
        " WHERE t.id = invoices.tenant_id"
    )
    op.execute(
        "WITH ranked AS ("
        " SELECT id, transaction_id, row_number() OVER ("
        "  PARTITION BY tenant_id, invoice_id ORDER BY created_at DESC, id DESC) AS rank"
        " FROM cod_payments WHERE status IN ('pending', 'collected')),"
        " expired AS ("
        " UPDATE cod_payments SET status = 'expired' FROM ranked"
        " WHERE cod_payments.id = ranked.id AND ranked.rank > 1"
        " RETURNING ranked.transaction_id)"
        " UPDATE payment_transactions SET status = 'expired'"
        " WHERE id IN (SELECT transaction_id FROM expired)"
    )
    op.create_index(
        "uq_cod_payments_open_per_invoice",
        "cod_payments",
        ["tenant_id", "invoice_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'collected')"),
    )
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "UPDATE operator_settings SET document = document - 'public_base_url'"
            " WHERE id = 1 AND document ->> 'public_base_url' IS NOT NULL"
            " AND document ->> 'public_base_url' !~ :pattern"
        ),
        {"pattern": BASE_URL_PATTERN},
    )
    stored = connection.execute(
        sa.text("SELECT document ->> 'default_paper_size' FROM operator_settings WHERE id = 1")
    ).scalar()
    if stored is not None:
        try:
            canonical = paper_size(stored).name
        except UnknownPaperSizeError:
            canonical = DEFAULT_PAPER_SIZE
        if canonical != stored:
            connection.execute(
                sa.text(
                    "UPDATE operator_settings SET document = jsonb_set("
                    "document, '{default_paper_size}', to_jsonb(CAST(:size AS text)))"
                    " WHERE id = 1"
                ),
                {"size": canonical},
            )


def downgrade() -> None:
    op.drop_index("uq_cod_payments_open_per_invoice", table_name="cod_payments")
    op.drop_column("invoices", "commission_rate")
    op.drop_column("invoices", "reseller_id")
