"""The known-customer replica, the ticket table and the messaging tables.

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
        "known_customers",
        sa.Column("customer_id", sa.String(36), primary_key=True),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_index("ix_known_customers_owner", "known_customers", ["owner_id"])
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "customer_id",
            sa.String(36),
            sa.ForeignKey("known_customers.customer_id", name="fk_tickets_customer_id_known_customers"),
            nullable=False,
        ),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("opened_by", sa.String(36), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_tickets_customer_opened", "tickets", ["customer_id", "opened_at"])
    op.create_index("ix_tickets_status_opened", "tickets", ["status", "opened_at"])
    op.create_index("ix_tickets_opened", "tickets", ["opened_at"])
    create_messaging_tables(op.get_bind())


def downgrade() -> None:
    op.drop_table("tickets")
    op.drop_table("known_customers")
    messaging_metadata.drop_all(op.get_bind())
