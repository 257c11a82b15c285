"""Invoices keep the commission amount they were issued with; the commission report reads a
reseller's invoices by issue date.

* ``invoices.commission_amount``: the reseller's commission on the invoice's net (subtotal less
  discount), rounded to the currency's minor unit, written when the invoice is issued and never
  again, so a later change of the reseller's rate (or of the rounding rule) leaves history
  alone. Issued invoices that already froze a rate get the amount that rate gives.
* ``ix_invoices_reseller_id_issue_date``: the commission report walks one reseller's invoices
  by issue date; partial, since most tenants have no reseller.

Revision ID: c0ffee000015
Revises: c0ffee000013
Create Date: 2026-12-17 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from billing.core.money import minor_unit

revision: str = "c0ffee000015"
down_revision: str | None = "c0ffee000013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Row-level security applies to the owner too (FORCE): read and repair as the operator.
    op.execute("SET LOCAL app.scope = 'admin'")
    op.add_column(
        "invoices",
        sa.Column("commission_amount", sa.Numeric(precision=20, scale=4), nullable=True),
    )
    connection = op.get_bind()
    currencies = connection.execute(
        sa.text(
            "SELECT DISTINCT currency FROM invoices"
            " WHERE commission_rate IS NOT NULL AND status <> 'draft'"
        )
    ).scalars()
    for currency in list(currencies):
        # PostgreSQL's round() of a numeric goes half away from zero, as ROUND_HALF_UP does.
        connection.execute(
            sa.text(
                "UPDATE invoices SET commission_amount ="
                " round((subtotal - discount_amount) * commission_rate / 100, :places)"
                " WHERE currency = :currency AND commission_rate IS NOT NULL"
                " AND status <> 'draft'"
            ),
            {"currency": currency, "places": minor_unit(currency)},
        )
    op.create_index(
        "ix_invoices_reseller_id_issue_date",
        "invoices",
        ["reseller_id", "issue_date"],
        postgresql_where=sa.text("reseller_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_reseller_id_issue_date", table_name="invoices")
    op.drop_column("invoices", "commission_amount")
