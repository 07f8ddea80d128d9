"""SLA calendars and policies, the customer levels learnt from sales, and the warnings and breaches announced.

Revision ID: 0005
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sla_calendars",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("weekly_hours", sa.JSON, nullable=False),
        sa.Column("holidays", sa.JSON, nullable=False),
        sa.Column("extra_working_days", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("updated_by", sa.String(36), nullable=False),
        sa.UniqueConstraint("name", name="uq_sla_calendars_name"),
    )
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("priorities", sa.JSON, nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("customer_levels", sa.JSON, nullable=False),
        sa.Column("calendar_id", sa.String(36),
                  sa.ForeignKey("sla_calendars.id", name="fk_sla_policies_calendar_id_sla_calendars")),
        sa.Column("first_response_minutes", sa.Integer),
        sa.Column("next_response_minutes", sa.Integer),
        sa.Column("resolution_minutes", sa.Integer),
        sa.Column("pause_statuses", sa.JSON, nullable=False),
        sa.Column("warning_percent", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("updated_by", sa.String(36), nullable=False),
        sa.UniqueConstraint("name", name="uq_sla_policies_name"),
    )
    op.create_index("ix_sla_policies_position", "sla_policies", ["position"])
    op.create_table(
        "customer_levels",
        sa.Column("customer_id", sa.String(36), primary_key=True),
        sa.Column("level", sa.String(50)),
        sa.Column("level_since", TIME, nullable=False),
    )
    op.create_table(
        "sla_notices",
        sa.Column("ticket_id", sa.String(36), primary_key=True),
        sa.Column("metric", sa.String(20), primary_key=True),
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("cycle", sa.Integer, primary_key=True),
        sa.Column("crossed_at", TIME, nullable=False),
        sa.Column("announced_at", TIME, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sla_notices")
    op.drop_table("customer_levels")
    op.drop_table("sla_policies")
    op.drop_table("sla_calendars")
