"""The event archive, the channel_stats read model and the messaging tables.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from crm_shared.migrations import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_archive",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("producer", sa.String(100), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("correlation_id", sa.Text, nullable=False),
        sa.Column("causation_id", sa.Text),
        sa.Column("payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_event_archive_replay_order", "event_archive", ["occurred_at", "received_at", "event_id"])
    op.create_index("ix_event_archive_name", "event_archive", ["name"])
    op.create_table(
        "channel_stats",
        sa.Column("channel", sa.String(50), primary_key=True),
        sa.Column("leads_created", sa.Integer, nullable=False, server_default="0"),
        sa.Column("leads_claimed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("leads_converted", sa.Integer, nullable=False, server_default="0"),
        sa.Column("customers", sa.Integer, nullable=False, server_default="0"),
        sa.Column("tickets", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    create_messaging_tables(op.get_bind())


def downgrade() -> None:
    op.drop_table("channel_stats")
    op.drop_table("event_archive")
