"""Tables of follow-ups, the lead timeline, reminders and the customer -> lead map (part of the leads metadata)."""
from sqlalchemy import JSON, Column, Index, String, Table, text

from crm_shared.db import BigId, UtcDateTime
from leads.db import metadata

lead_follow_ups = Table(
    "lead_follow_ups",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("lead_id", String(36), nullable=False),
    Column("owner_id", String(36)),
    Column("author_id", String(36), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("outcome", String(2000), nullable=False),
    Column("next_step", String(1000)),
    Column("next_contact_at", UtcDateTime()),
    Column("logged_at", UtcDateTime(), nullable=False),
    Index("ix_lead_follow_ups_lead", "lead_id", "logged_at", "id"),
)

# One timeline per lead, newest first by (at, id); a line caused by an event names it, once.
lead_timeline = Table(
    "lead_timeline",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("lead_id", String(36), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor_id", String(100), nullable=False),
    Column("summary", String(500), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("source_event_id", String(36), unique=True),
    Index("ix_lead_timeline_lead", "lead_id", "at", "id"),
)

UNANNOUNCED = "published_at IS NULL AND status <> 'done'"

# Any feature adds its own kind of reminder; published_at says its due event is in the outbox.
lead_reminders = Table(
    "lead_reminders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("lead_id", String(36), nullable=False),
    Column("owner_id", String(36), nullable=False),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("note", String(1000)),
    Column("status", String(20), nullable=False),
    Column("source_id", String(36)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("completed_at", UtcDateTime()),
    Column("published_at", UtcDateTime()),
    Index("ix_lead_reminders_agenda", "owner_id", "status", "due_at"),
    Index("ix_lead_reminders_lead", "lead_id", "kind", "status"),
    Index("ix_lead_reminders_unannounced", "due_at",
          postgresql_where=text(UNANNOUNCED), sqlite_where=text(UNANNOUNCED)),
)

# Filled from sales.customer.created.v1, so events about a customer find the lead it came from.
customer_leads = Table(
    "customer_leads",
    metadata,
    Column("customer_id", String(36), primary_key=True),
    Column("lead_id", String(36), nullable=False),
    Index("ix_customer_leads_lead", "lead_id"),
)
