"""Join the branches of customers, contacts, permissions and the pipeline (0003) and of orders,
contracts and approvals (0004).

Revision ID: 0005
Revises: 0003, 0004
"""

revision = "0005"
down_revision = ("0003", "0004")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
