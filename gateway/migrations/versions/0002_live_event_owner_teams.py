"""The teams of the people a live event is about, stored with the event.

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
    # Rows stored before this have none: they reach a sales manager only as their own events,
    # and the live buffer forgets them within an hour anyway.
    op.add_column("live_events", sa.Column("owner_team_ids", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("live_events") as batch:
        batch.drop_column("owner_team_ids")
