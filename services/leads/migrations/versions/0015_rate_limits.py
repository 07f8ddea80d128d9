"""Request counts per user and window, for the rate limits on pool viewing and claiming.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

from crm_shared.db import UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("window_started_at", UtcDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_limits")
