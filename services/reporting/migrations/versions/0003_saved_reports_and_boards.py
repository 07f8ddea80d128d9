"""Saved reports and boards (dashboards users put together from reports); indexes the dashboards read by.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Each dashboard filters by a time column first (reporting/dashboards.py).
DASHBOARD_INDEXES = [
    ("ix_fact_leads_converted_at", "fact_leads", ["converted_at"]),
    ("ix_fact_leads_claimed_at", "fact_leads", ["claimed_at"]),
    ("ix_fact_pool_moves_owner_id_at", "fact_pool_moves", ["owner_id", "at"]),
    ("ix_fact_follow_ups_at", "fact_follow_ups", ["at"]),
    ("ix_fact_customers_created_at", "fact_customers", ["created_at"]),
    ("ix_fact_opportunities_opened_at", "fact_opportunities", ["opened_at"]),
    ("ix_fact_opportunities_status_owner_id", "fact_opportunities", ["status", "owner_id"]),
    ("ix_fact_installments_status_planned_date", "fact_installments", ["status", "planned_date"]),
    ("ix_fact_invoices_issued_on", "fact_invoices", ["issued_on"]),
    ("ix_fact_refunds_completed_at", "fact_refunds", ["completed_at"]),
    ("ix_fact_expenses_spent_on", "fact_expenses", ["spent_on"]),
    ("ix_fact_tickets_resolved_at", "fact_tickets", ["resolved_at"]),
    ("ix_fact_tickets_status", "fact_tickets", ["status"]),
]


def _sharing_and_times() -> list[sa.Column]:
    return [
        sa.Column("shared_user_ids", sa.JSON(), nullable=False),
        sa.Column("shared_team_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "saved_reports",
        sa.Column("report_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.String(1000), nullable=False, server_default=""),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("layout", sa.JSON(), nullable=False),
        *_sharing_and_times(),
        sa.PrimaryKeyConstraint("report_id", name="pk_saved_reports"),
    )
    op.create_index("ix_saved_reports_owner_id", "saved_reports", ["owner_id"])
    op.create_table(
        "boards",
        sa.Column("board_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("tiles", sa.JSON(), nullable=False),
        *_sharing_and_times(),
        sa.PrimaryKeyConstraint("board_id", name="pk_boards"),
    )
    op.create_index("ix_boards_owner_id", "boards", ["owner_id"])
    for name, table, columns in DASHBOARD_INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in DASHBOARD_INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_table("boards")
    op.drop_table("saved_reports")
