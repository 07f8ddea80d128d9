"""The table of the customer's story that no aggregate keeps: follow-ups (contracts keep theirs in their journal)."""
from sqlalchemy import Column, ForeignKey, Index, String, Table, Text

from crm_shared.db import UtcDateTime
from sales.db import customers, metadata, opportunities

follow_ups = Table(
    "follow_ups",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("customer_id", String(36), ForeignKey(customers.c.id), nullable=False),
    Column("opportunity_id", String(36), ForeignKey(opportunities.c.id)),
    Column("author_id", String(36), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("content", Text, nullable=False),
    Column("outcome", Text),
    Column("next_step", Text),
    Column("next_contact_at", UtcDateTime()),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Index("ix_follow_ups_customer_recorded", "customer_id", "recorded_at"),
    Index("ix_follow_ups_opportunity_recorded", "opportunity_id", "recorded_at"),
)
