"""A customer's owner gets a time of its own (`fact_customers.owner_at`).

Transfers and returns to the public pool say only who owns the customer now; guarded by the record's state
time, such a newer event shut out the name (and level, region, industry) of an older creation or edit that
arrived after it. Under a time of its own the owner moves by its own events, and the profile by its own.
Existing rows take their state time, the time their owner was last set; a rebuild recomputes both exactly.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("fact_customers", sa.Column("owner_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE fact_customers SET owner_at = state_at")


def downgrade() -> None:
    op.drop_column("fact_customers", "owner_at")
