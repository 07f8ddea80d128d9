"""Join the branches of the user directory (0008), auto-distribution (0009), the customer's return
and recycling exclusions (0010), the search's filter indexes (0011) and the background import queue (0012).

Revision ID: 0013
Revises: 0008, 0009, 0010, 0011, 0012
"""

revision = "0013"
down_revision = ("0008", "0009", "0010", "0011", "0012")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
