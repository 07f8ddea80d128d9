"""Escalation levels on SLA policies, and the record of the levels fired per ticket, target and cycle.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sla_policies") as batch:
        batch.add_column(sa.Column("escalation_levels", sa.JSON, nullable=False, server_default="[]"))
    # The default only fills the existing rows; the application always writes the column.
    with op.batch_alter_table("sla_policies") as batch:
        batch.alter_column("escalation_levels", server_default=None)
    op.create_table(
        "sla_escalations",
        sa.Column("ticket_id", sa.String(36), primary_key=True),
        sa.Column("target", sa.String(20), primary_key=True),
        sa.Column("level", sa.String(10), primary_key=True),
        sa.Column("cycle", sa.Integer, primary_key=True),
        sa.Column("policy_id", sa.String(36), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sla_escalations")
    with op.batch_alter_table("sla_policies") as batch:
        batch.drop_column("escalation_levels")
