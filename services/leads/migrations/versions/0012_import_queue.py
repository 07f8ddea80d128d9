"""Imports run by the worker: the uploaded file of each import waiting or running, and who runs it.

Revision ID: 0012
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_import_queue",
        sa.Column("import_id", sa.String(36),
                  sa.ForeignKey("lead_imports.id", name="fk_lead_import_queue_import_id_lead_imports",
                                ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("file_data", sa.LargeBinary, nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("runner", sa.String(200)),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rows_done", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_lead_import_queue_queued_at", "lead_import_queue", ["queued_at"])


def downgrade() -> None:
    op.drop_table("lead_import_queue")
