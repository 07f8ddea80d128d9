"""Follow-ups of customers and opportunities (the customer's timeline reads contracts from their journal, 0008).

Revision ID: 0009
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{referred}.id", name=f"fk_{table}_{column}_{referred}")


def upgrade() -> None:
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.String(36), _fk("follow_ups", "customer_id", "customers"), nullable=False),
        sa.Column("opportunity_id", sa.String(36), _fk("follow_ups", "opportunity_id", "opportunities")),
        sa.Column("author_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text),
        sa.Column("next_step", sa.Text),
        sa.Column("next_contact_at", WHEN),
        sa.Column("recorded_at", WHEN, nullable=False),
    )
    op.create_index("ix_follow_ups_customer_recorded", "follow_ups", ["customer_id", "recorded_at"])
    op.create_index("ix_follow_ups_opportunity_recorded", "follow_ups", ["opportunity_id", "recorded_at"])


def downgrade() -> None:
    op.drop_table("follow_ups")
