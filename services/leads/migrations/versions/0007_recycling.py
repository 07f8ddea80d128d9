"""Recycling: recycle locks and exclusions per lead, open tickets per lead, and the warnings sent.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_recycle_states",
        sa.Column("lead_id", sa.String(36), primary_key=True),
        sa.Column("locked_by", sa.String(36)),
        sa.Column("locked_at", sa.DateTime(timezone=True)),
        sa.Column("has_open_opportunity", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_lead_recycle_states_locked_by", "lead_recycle_states", ["locked_by"])
    op.create_table(
        "lead_open_tickets",
        sa.Column("ticket_id", sa.String(36), primary_key=True),
        sa.Column("lead_id", sa.String(36), nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_lead_open_tickets_lead", "lead_open_tickets", ["lead_id"])
    op.create_table(
        "lead_recycle_warnings",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("lead_id", sa.String(36), nullable=False),
        sa.Column("reminder_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("lead_recycle_warnings", "lead_open_tickets", "lead_recycle_states"):
        op.drop_table(table)
