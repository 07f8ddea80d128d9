"""Join the branches of targets and expenses (0007), contract amendments and the contract's journal (0008)
and follow-ups (0009).

Revision ID: 0010
Revises: 0007, 0008, 0009
"""

revision = "0010"
down_revision = ("0007", "0008", "0009")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
