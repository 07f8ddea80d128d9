"""Tables of agent groups, agent profiles, skill requirements, workflow rules, and what the rules did once."""
from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from crm_shared.db import UtcDateTime
from crm_shared.directory import directory_tables
from service_desk.db import metadata

# Who the desk's agents, team leads and service managers are: the gateway's word, kept from `gateway.user.*`.
directory = directory_tables(metadata)

agent_groups = Table(
    "agent_groups",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("team_lead_id", String(36)),
    Column("assignment_method", String(20), nullable=False),
    Column("relax_after_minutes", Integer),
    Column("assignment_timeout_minutes", Integer),
    # The last agent round robin chose in this group; the row is locked while choosing, so two concurrent
    # assignments take turns instead of both choosing the agent after the same cursor.
    Column("cursor", String(36)),
    Column("version", Integer, nullable=False),
    UniqueConstraint("name", name="uq_agent_groups_name"),
)

agent_group_members = Table(
    "agent_group_members",
    metadata,
    Column("group_id", String(36), ForeignKey(agent_groups.c.id, ondelete="CASCADE"), primary_key=True),
    Column("agent_id", String(36), primary_key=True),
    Index("ix_agent_group_members_agent_id", "agent_id"),
)

agent_profiles = Table(
    "agent_profiles",
    metadata,
    Column("agent_id", String(36), primary_key=True),
    # {"billing": 3, ...}, levels 1 to 5.
    Column("skills", JSON, nullable=False),
    Column("availability", String(20), nullable=False),
    # Most open tickets the agent holds at once; null: no limit.
    Column("capacity", Integer),
    Column("availability_changed_at", UtcDateTime()),
    Column("availability_changed_by", String(36)),
    Column("version", Integer, nullable=False),
)

# The skills a ticket of a category needs, as [[skill, level], ...] most important first: a JSON array, since
# the order decides which skill relaxation drops first (an object's keys may be reordered).
skill_requirements = Table(
    "skill_requirements",
    metadata,
    Column("category", String(100), primary_key=True),
    Column("skills", JSON, nullable=False),
)

workflow_rules = Table(
    "workflow_rules",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("position", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("trigger", String(20), nullable=False),
    Column("interval_minutes", Integer),
    Column("conditions", JSON, nullable=False),
    Column("actions", JSON, nullable=False),
    Column("stop_after_match", Boolean, nullable=False),
    Column("description", Text),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_workflow_rules_trigger_position", "trigger", "position"),
)

# A scheduled rule's claim on a ticket for one window of its interval: the primary key lets one worker only
# apply it, however many run the schedule at once.
workflow_rule_runs = Table(
    "workflow_rule_runs",
    metadata,
    Column("rule_id", String(36), primary_key=True),
    Column("ticket_id", String(36), primary_key=True),
    Column("window_start", UtcDateTime(), primary_key=True),
    Column("ran_at", UtcDateTime(), nullable=False),
)

# Each escalation level fires once per ticket and cycle (a reopen starts the next cycle).
ticket_escalations = Table(
    "ticket_escalations",
    metadata,
    Column("ticket_id", String(36), primary_key=True),
    Column("level", Integer, primary_key=True),
    Column("cycle", Integer, primary_key=True),
    Column("rule_id", String(36)),
    Column("escalated_at", UtcDateTime(), nullable=False),
)
