"""Join the branches of the ticket lifecycle (0004), SLA (0005), groups and workflow rules (0006) and the
knowledge base (0007).

Revision ID: 0008
Revises: 0004, 0005, 0006, 0007
"""

revision = "0008"
down_revision = ("0004", "0005", "0006", "0007")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
