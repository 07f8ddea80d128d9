"""The customer a lead became, and the tickets and opportunities that keep it from being recycled.

Revision ID: 0010
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("customer_id", sa.String(36)))
    op.execute(
        "UPDATE leads SET customer_id = "
        "(SELECT customer_leads.customer_id FROM customer_leads WHERE customer_leads.lead_id = leads.id) "
        "WHERE EXISTS (SELECT 1 FROM customer_leads WHERE customer_leads.lead_id = leads.id)"
    )
    # A ticket's close may be heard before its opening: the row then has no opening time.
    with op.batch_alter_table("lead_open_tickets") as batch:
        batch.alter_column("opened_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True)))
    # Replaced by lead_opportunities: a flag cannot say when the last of several opportunities closed.
    with op.batch_alter_table("lead_recycle_states") as batch:
        batch.drop_column("has_open_opportunity")
    op.create_table(
        "lead_opportunities",
        sa.Column("opportunity_id", sa.String(36), primary_key=True),
        sa.Column("lead_id", sa.String(36), nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(10)),
    )
    op.create_index("ix_lead_opportunities_lead", "lead_opportunities", ["lead_id"])


def downgrade() -> None:
    op.drop_table("lead_opportunities")
    with op.batch_alter_table("lead_recycle_states") as batch:
        batch.add_column(sa.Column("has_open_opportunity", sa.Boolean, nullable=False, server_default=sa.false()))
    op.execute("DELETE FROM lead_open_tickets WHERE closed_at IS NOT NULL OR opened_at IS NULL")
    with op.batch_alter_table("lead_open_tickets") as batch:
        batch.drop_column("closed_at")
        batch.alter_column("opened_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    with op.batch_alter_table("leads") as batch:
        batch.drop_column("customer_id")
