"""Tables of recycling: locks and exclusions per lead, open tickets per lead, warnings sent (part of the leads metadata)."""
from sqlalchemy import Boolean, Column, Index, String, Table, false

from crm_shared.db import UtcDateTime
from leads.db import metadata

# What keeps a lead from being recycled besides its clocks. A lock counts only while `locked_by` still owns
# the lead, so a lead that changes hands loses its lock without anyone clearing it.
lead_recycle_states = Table(
    "lead_recycle_states",
    metadata,
    Column("lead_id", String(36), primary_key=True),
    Column("locked_by", String(36)),
    Column("locked_at", UtcDateTime()),
    # No sales event reports opportunities yet: always false until one does.
    Column("has_open_opportunity", Boolean, nullable=False, server_default=false()),
    Index("ix_lead_recycle_states_locked_by", "locked_by"),
)

# Tickets opened for the customer a lead became (service_desk.ticket.opened.v1 via customer_leads).
# No ticket-closed event exists yet, so a row is never removed: a lead with a ticket stays excluded.
lead_open_tickets = Table(
    "lead_open_tickets",
    metadata,
    Column("ticket_id", String(36), primary_key=True),
    Column("lead_id", String(36), nullable=False),
    Column("customer_id", String(36), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Index("ix_lead_open_tickets_lead", "lead_id"),
)

# One row per warning sent (recycling_rules.warning_key): the primary key makes the second sending a no-op.
lead_recycle_warnings = Table(
    "lead_recycle_warnings",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("lead_id", String(36), nullable=False),
    Column("reminder_id", String(36), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)
