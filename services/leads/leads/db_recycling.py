"""Tables of recycling: locks per lead, the tickets and opportunities of its customer, warnings sent (part of the leads metadata)."""
from sqlalchemy import Column, Index, String, Table

from crm_shared.db import UtcDateTime
from leads.db import metadata

# A lock keeps a lead from being recycled. It counts only while `locked_by` still owns the lead, so a lead
# that changes hands loses its lock without anyone clearing it.
lead_recycle_states = Table(
    "lead_recycle_states",
    metadata,
    Column("lead_id", String(36), primary_key=True),
    Column("locked_by", String(36)),
    Column("locked_at", UtcDateTime()),
    Index("ix_lead_recycle_states_locked_by", "locked_by"),
)

# Tickets of the customer a lead became (service_desk.ticket.opened.v1 / closed.v1 via customer_leads); a
# ticket keeps the lead from being recycled while `closed_at` is null. A close heard before its opening
# writes the row closed, so the late opening cannot reopen it.
lead_open_tickets = Table(
    "lead_open_tickets",
    metadata,
    Column("ticket_id", String(36), primary_key=True),
    Column("lead_id", String(36), nullable=False),
    Column("customer_id", String(36), nullable=False),
    Column("opened_at", UtcDateTime()),
    Column("closed_at", UtcDateTime()),
    Index("ix_lead_open_tickets_lead", "lead_id"),
)

# Opportunities of the customer a lead became (sales.opportunity.opened.v1 / closed.v1), kept the same way:
# open while `closed_at` is null.
lead_opportunities = Table(
    "lead_opportunities",
    metadata,
    Column("opportunity_id", String(36), primary_key=True),
    Column("lead_id", String(36), nullable=False),
    Column("customer_id", String(36), nullable=False),
    Column("opened_at", UtcDateTime()),
    Column("closed_at", UtcDateTime()),
    Column("outcome", String(10)),
    Index("ix_lead_opportunities_lead", "lead_id"),
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
