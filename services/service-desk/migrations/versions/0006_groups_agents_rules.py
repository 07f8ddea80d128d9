"""The user directory, agent groups and profiles, skill requirements, workflow rules and their once-only claims.

Revision ID: 0006
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "directory_users",
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("changed_at", TIME, nullable=False),
    )
    op.create_table(
        "directory_user_teams",
        sa.Column("user_id", sa.String(36),
                  sa.ForeignKey("directory_users.user_id", name="fk_directory_user_teams_user_id_directory_users",
                                ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("team_id", sa.String(36), primary_key=True),
    )
    op.create_index("ix_directory_user_teams_team_id", "directory_user_teams", ["team_id"])
    op.create_table(
        "agent_groups",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("team_lead_id", sa.String(36)),
        sa.Column("assignment_method", sa.String(20), nullable=False),
        sa.Column("relax_after_minutes", sa.Integer),
        sa.Column("assignment_timeout_minutes", sa.Integer),
        sa.Column("cursor", sa.String(36)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("name", name="uq_agent_groups_name"),
    )
    op.create_table(
        "agent_group_members",
        sa.Column("group_id", sa.String(36),
                  sa.ForeignKey("agent_groups.id", name="fk_agent_group_members_group_id_agent_groups",
                                ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("agent_id", sa.String(36), primary_key=True),
    )
    op.create_index("ix_agent_group_members_agent_id", "agent_group_members", ["agent_id"])
    op.create_table(
        "agent_profiles",
        sa.Column("agent_id", sa.String(36), primary_key=True),
        sa.Column("skills", sa.JSON, nullable=False),
        sa.Column("availability", sa.String(20), nullable=False),
        sa.Column("capacity", sa.Integer),
        sa.Column("availability_changed_at", TIME),
        sa.Column("availability_changed_by", sa.String(36)),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "skill_requirements",
        sa.Column("category", sa.String(100), primary_key=True),
        sa.Column("skills", sa.JSON, nullable=False),
    )
    op.create_table(
        "workflow_rules",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("interval_minutes", sa.Integer),
        sa.Column("conditions", sa.JSON, nullable=False),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("stop_after_match", sa.Boolean, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_workflow_rules_trigger_position", "workflow_rules", ["trigger", "position"])
    op.create_table(
        "workflow_rule_runs",
        sa.Column("rule_id", sa.String(36), primary_key=True),
        sa.Column("ticket_id", sa.String(36), primary_key=True),
        sa.Column("window_start", TIME, primary_key=True),
        sa.Column("ran_at", TIME, nullable=False),
    )
    op.create_table(
        "ticket_escalations",
        sa.Column("ticket_id", sa.String(36), primary_key=True),
        sa.Column("level", sa.Integer, primary_key=True),
        sa.Column("cycle", sa.Integer, primary_key=True),
        sa.Column("rule_id", sa.String(36)),
        sa.Column("escalated_at", TIME, nullable=False),
    )


def downgrade() -> None:
    for table in ("ticket_escalations", "workflow_rule_runs", "workflow_rules", "skill_requirements",
                  "agent_profiles", "agent_group_members", "agent_groups", "directory_user_teams", "directory_users"):
        op.drop_table(table)
