"""Closing tickets (when, by whom, how resolved), and customers whose owner changes or who have none.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("closed_at", sa.DateTime(timezone=True)))
    op.add_column("tickets", sa.Column("closed_by", sa.String(36)))
    op.add_column("tickets", sa.Column("resolution", sa.Text))
    # Batch mode: SQLite cannot make a column nullable in place (the table is copied).
    with op.batch_alter_table("known_customers") as batch:
        batch.alter_column("owner_id", existing_type=sa.String(36), nullable=True)
        batch.add_column(sa.Column("owner_since", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.execute("UPDATE known_customers SET owner_id = '' WHERE owner_id IS NULL")
    with op.batch_alter_table("known_customers") as batch:
        batch.drop_column("owner_since")
        batch.alter_column("owner_id", existing_type=sa.String(36), nullable=False)
    with op.batch_alter_table("tickets") as batch:
        for column in ("resolution", "closed_by", "closed_at"):
            batch.drop_column(column)
