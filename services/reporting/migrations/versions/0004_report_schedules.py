"""Scheduled reports: schedules, their runs, and the files each run made for each recipient.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_schedules",
        sa.Column("schedule_id", sa.String(36), nullable=False),
        sa.Column("report_id", sa.String(36), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("frequency", sa.String(10), nullable=False),
        sa.Column("time_of_day", sa.String(5)),
        sa.Column("weekday", sa.String(10)),
        sa.Column("day_of_month", sa.Integer()),
        sa.Column("cron", sa.String(100)),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("formats", sa.JSON(), nullable=False),
        sa.Column("recipient_user_ids", sa.JSON(), nullable=False),
        sa.Column("recipient_team_ids", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("inactive_reason", sa.String(300)),
        sa.Column("next_run_at", sa.DateTime(timezone=True)),
        sa.Column("last_run_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("schedule_id", name="pk_report_schedules"),
    )
    op.create_index("ix_report_schedules_due", "report_schedules", ["active", "next_run_at"])
    op.create_index("ix_report_schedules_owner_id", "report_schedules", ["owner_id"])
    op.create_index("ix_report_schedules_report_id", "report_schedules", ["report_id"])
    op.create_table(
        "report_runs",
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("schedule_id", sa.String(36), nullable=False),
        sa.Column("report_id", sa.String(36), nullable=False),
        sa.Column("trigger", sa.String(10), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("delivered_to", sa.JSON(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_report_runs"),
    )
    op.create_index("ix_report_runs_schedule_id_ran_at", "report_runs", ["schedule_id", "ran_at"])
    op.create_table(
        "report_files",
        sa.Column("file_id", sa.String(36), nullable=False),
        sa.Column("schedule_id", sa.String(36), nullable=False),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("report_id", sa.String(36), nullable=False),
        sa.Column("recipient_id", sa.String(36), nullable=False),
        sa.Column("format", sa.String(4), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("capped", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("file_id", name="pk_report_files"),
    )
    op.create_index("ix_report_files_recipient_id_created_at", "report_files", ["recipient_id", "created_at"])
    op.create_index("ix_report_files_schedule_id", "report_files", ["schedule_id"])
    op.create_index("ix_report_files_run_id", "report_files", ["run_id"])


def downgrade() -> None:
    op.drop_table("report_files")
    op.drop_table("report_runs")
    op.drop_table("report_schedules")
