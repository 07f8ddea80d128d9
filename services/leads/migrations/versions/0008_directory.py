"""The user directory: claimants also learnt from the gateway's user events (name, active flag, when).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claimants") as batch:
        batch.add_column(sa.Column("username", sa.String(100)))
        batch.add_column(sa.Column("display_name", sa.String(200)))
        batch.add_column(sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("directory_at", sa.DateTime(timezone=True)))
        # A user the directory announced may never have sent a token.
        batch.alter_column("seen_at", existing_type=sa.DateTime(timezone=True), nullable=True)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM claimant_teams WHERE user_id IN (SELECT user_id FROM claimants WHERE seen_at IS NULL)"))
    op.execute(sa.text("DELETE FROM claimants WHERE seen_at IS NULL"))
    with op.batch_alter_table("claimants") as batch:
        batch.alter_column("seen_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        for column in ("directory_at", "active", "display_name", "username"):
            batch.drop_column(column)
