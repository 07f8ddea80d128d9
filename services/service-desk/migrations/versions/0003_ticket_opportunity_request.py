"""The opportunity an agent asked sales for from a ticket: who asked and when, and the deal opened (or why not).

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("opportunity_requested_at", sa.DateTime(timezone=True)))
    op.add_column("tickets", sa.Column("opportunity_requested_by", sa.String(36)))
    op.add_column("tickets", sa.Column("opportunity_id", sa.String(36)))
    op.add_column("tickets", sa.Column("opportunity_refusal", sa.String(50)))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for column in ("opportunity_refusal", "opportunity_id", "opportunity_requested_by", "opportunity_requested_at"):
            batch.drop_column(column)
