"""The audit log: one row per record each change concerns, with its actor (crm_shared.audit).

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

from crm_shared.db import BigId, UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("record_type", sa.String(50), nullable=False),
        sa.Column("record_id", sa.String(100), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("correlation_id", sa.String(64), nullable=True),
        sa.Column("event_id", sa.String(36), nullable=True),
    )
    op.create_index("ix_audit_log_record", "audit_log", ["record_type", "record_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_record", table_name="audit_log")
    op.drop_table("audit_log")
