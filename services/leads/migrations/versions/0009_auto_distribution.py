"""Auto-distribution: each pool's rotation cursor (the rule itself is part of the pool's rules JSON).

Revision ID: 0009
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pool_distribution_cursors",
        sa.Column("pool_id", sa.String(36),
                  sa.ForeignKey("pools.id", name="fk_pool_distribution_cursors_pool_id_pools", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("last_assignee_id", sa.String(36)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("pool_distribution_cursors")
