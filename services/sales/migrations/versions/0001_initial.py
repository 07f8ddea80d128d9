"""The customer table and the messaging tables.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from crm_shared.db import messaging_metadata
from crm_shared.migrations import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lead_id", sa.String(36)),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("contact_name", sa.String(200)),
        sa.Column("phone", sa.String(50)),
        sa.Column("email", sa.String(254)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        # One customer per lead, so a conversion delivered twice under two event ids cannot make two.
        sa.UniqueConstraint("lead_id", name="uq_customers_lead_id"),
    )
    op.create_index("ix_customers_owner_created", "customers", ["owner_id", "created_at"])
    op.create_index("ix_customers_created", "customers", ["created_at"])
    create_messaging_tables(op.get_bind())


def downgrade() -> None:
    op.drop_table("customers")
    messaging_metadata.drop_all(op.get_bind())
