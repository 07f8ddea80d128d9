"""Sales targets (业绩目标) per rep, team or department and period; departments as named sets of teams; expenses.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# NUMERIC(18, 2) on PostgreSQL; the decimal's text on SQLite, whose NUMERIC is a float.
MONEY = sa.Numeric(18, 2).with_variant(sa.String(40), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("updated_at", WHEN),
        sa.Column("updated_by", sa.String(36)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("name", name="uq_departments_name"),
    )
    op.create_table(
        "department_teams",
        sa.Column("team_id", sa.String(36), primary_key=True),
        sa.Column("department_id", sa.String(36),
                  sa.ForeignKey("departments.id", name="fk_department_teams_department_id_departments"),
                  nullable=False),
    )
    op.create_index("ix_department_teams_department", "department_teams", ["department_id"])
    op.create_table(
        "sales_targets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("subject_kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("period_kind", sa.String(10), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("metric", sa.String(30), nullable=False),
        sa.Column("value", MONEY, nullable=False),
        sa.Column("currency", sa.String(3)),
        sa.Column("set_by", sa.String(36), nullable=False),
        sa.Column("set_at", WHEN, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("subject_kind", "subject_id", "period", "metric",
                            name="uq_sales_targets_subject_period_metric"),
    )
    op.create_index("ix_sales_targets_period", "sales_targets", ["period", "subject_kind"])
    op.create_table(
        "sales_expenses",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("rep_id", sa.String(36), nullable=False),
        sa.Column("spent_on", sa.Date, nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("customer_id", sa.String(36),
                  sa.ForeignKey("customers.id", name="fk_sales_expenses_customer_id_customers")),
        sa.Column("opportunity_id", sa.String(36),
                  sa.ForeignKey("opportunities.id", name="fk_sales_expenses_opportunity_id_opportunities")),
        sa.Column("note", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("recorded_by", sa.String(36), nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.Column("decided_by", sa.String(36)),
        sa.Column("decided_at", WHEN),
        sa.Column("decision_note", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_sales_expenses_rep_spent", "sales_expenses", ["rep_id", "spent_on"])
    op.create_index("ix_sales_expenses_status_spent", "sales_expenses", ["status", "spent_on"])


def downgrade() -> None:
    op.drop_index("ix_sales_expenses_status_spent", table_name="sales_expenses")
    op.drop_index("ix_sales_expenses_rep_spent", table_name="sales_expenses")
    op.drop_table("sales_expenses")
    op.drop_index("ix_sales_targets_period", table_name="sales_targets")
    op.drop_table("sales_targets")
    op.drop_index("ix_department_teams_department", table_name="department_teams")
    op.drop_table("department_teams")
    op.drop_table("departments")
