"""Tables of SLA calendars, policies, the customer levels the desk learns from sales, and the SLA notices sent."""
from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from crm_shared.db import UtcDateTime
from service_desk.db import metadata

sla_calendars = Table(
    "sla_calendars",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("timezone", String(64), nullable=False),
    # {"mon": [["09:00", "18:00"]], ...}; holidays and extra working days as ISO dates.
    Column("weekly_hours", JSON, nullable=False),
    Column("holidays", JSON, nullable=False),
    Column("extra_working_days", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(36), nullable=False),
    UniqueConstraint("name", name="uq_sla_calendars_name"),
)

sla_policies = Table(
    "sla_policies",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("position", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("priorities", JSON, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("customer_levels", JSON, nullable=False),
    Column("calendar_id", String(36), ForeignKey("sla_calendars.id")),
    Column("first_response_minutes", Integer),
    Column("next_response_minutes", Integer),
    Column("resolution_minutes", Integer),
    Column("pause_statuses", JSON, nullable=False),
    Column("warning_percent", Integer, nullable=False),
    # [{"at": 75 | "breach", "target": "first_response" | "resolution", "actions": [...]}, ...]
    Column("escalation_levels", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(36), nullable=False),
    UniqueConstraint("name", name="uq_sla_policies_name"),
    Index("ix_sla_policies_position", "position"),
)

# The level sales gives a customer (`sales.customer.updated.v1`); policies may be chosen by it.
customer_levels = Table(
    "customer_levels",
    metadata,
    Column("customer_id", String(36), primary_key=True),
    Column("level", String(50)),
    # When sales set it: an older update arriving late is ignored.
    Column("level_since", UtcDateTime(), nullable=False),
)

# One row per warning or breach announced: the primary key is what makes the announcement happen once,
# whichever worker gets there first.
sla_notices = Table(
    "sla_notices",
    metadata,
    Column("ticket_id", String(36), primary_key=True),
    Column("metric", String(20), primary_key=True),
    Column("kind", String(10), primary_key=True),
    Column("cycle", Integer, primary_key=True),
    Column("crossed_at", UtcDateTime(), nullable=False),
    Column("announced_at", UtcDateTime(), nullable=False),
)

# One row per escalation level a policy fired for a ticket: the primary key makes it fire once per ticket, target,
# level and cycle, whichever worker gets there first. `policy_id` is the policy that caused it (no foreign key:
# the record outlives a deleted policy).
sla_escalations = Table(
    "sla_escalations",
    metadata,
    Column("ticket_id", String(36), primary_key=True),
    Column("target", String(20), primary_key=True),
    Column("level", String(10), primary_key=True),
    Column("cycle", Integer, primary_key=True),
    Column("policy_id", String(36), nullable=False),
    Column("escalated_at", UtcDateTime(), nullable=False),
)
