"""Follow-ups, the lead timeline, reminders, the customer -> lead map and the lead's last activity.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UNANNOUNCED = "published_at IS NULL AND status <> 'done'"


def upgrade() -> None:
    op.create_table(
        "lead_follow_ups",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("lead_id", sa.String(36), nullable=False),
        sa.Column("owner_id", sa.String(36)),
        sa.Column("author_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(2000), nullable=False),
        sa.Column("next_step", sa.String(1000)),
        sa.Column("next_contact_at", sa.DateTime(timezone=True)),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_lead_follow_ups_lead", "lead_follow_ups", ["lead_id", "logged_at", "id"])

    op.create_table(
        "lead_timeline",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("lead_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(100), nullable=False),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("source_event_id", sa.String(36)),
        sa.UniqueConstraint("source_event_id", name="uq_lead_timeline_source_event_id"),
    )
    op.create_index("ix_lead_timeline_lead", "lead_timeline", ["lead_id", "at", "id"])

    op.create_table(
        "lead_reminders",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("lead_id", sa.String(36), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(1000)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source_id", sa.String(36)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_lead_reminders_agenda", "lead_reminders", ["owner_id", "status", "due_at"])
    op.create_index("ix_lead_reminders_lead", "lead_reminders", ["lead_id", "kind", "status"])
    op.create_index("ix_lead_reminders_unannounced", "lead_reminders", ["due_at"],
                    postgresql_where=sa.text(UNANNOUNCED), sqlite_where=sa.text(UNANNOUNCED))

    op.create_table(
        "customer_leads",
        sa.Column("customer_id", sa.String(36), primary_key=True),
        sa.Column("lead_id", sa.String(36), nullable=False),
    )
    op.create_index("ix_customer_leads_lead", "customer_leads", ["lead_id"])

    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("last_followed_up_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("last_activity_at", sa.DateTime(timezone=True)))
        batch.create_index("ix_leads_status_last_activity", ["status", "last_activity_at"])
    # Leads owned so far were last active when their owner got them.
    op.get_bind().execute(sa.text("UPDATE leads SET last_activity_at = claimed_at WHERE claimed_at IS NOT NULL"))


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.drop_index("ix_leads_status_last_activity")
        batch.drop_column("last_activity_at")
        batch.drop_column("last_followed_up_at")
    for table in ("customer_leads", "lead_reminders", "lead_timeline", "lead_follow_ups"):
        op.drop_table(table)
