"""Tables of the reporting database: the event archive and the read models projected from it."""
from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.dialects import postgresql

from crm_shared.db import NAMING_CONVENTION, UtcDateTime

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# JSONB on PostgreSQL so later read models and ad-hoc reports can query inside payloads.
Payload = JSON().with_variant(postgresql.JSONB(), "postgresql")

# Append-only: every event reporting consumed, as it arrived. Read models can always be rebuilt from it.
event_archive = Table(
    "event_archive",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("producer", String(100), nullable=False),
    # Text: correlation ids may come from a caller's X-Correlation-ID header, of any length.
    Column("actor", Text, nullable=False),
    Column("correlation_id", Text, nullable=False),
    Column("causation_id", Text),
    Column("payload", Payload, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Index("ix_event_archive_replay_order", "occurred_at", "received_at", "event_id"),
    Index("ix_event_archive_name", "name"),
)

# Read model: the funnel per acquisition channel (projections/channel_stats.py).
channel_stats = Table(
    "channel_stats",
    metadata,
    Column("channel", String(50), primary_key=True),
    Column("leads_created", Integer, nullable=False, server_default="0"),
    Column("leads_claimed", Integer, nullable=False, server_default="0"),
    Column("leads_converted", Integer, nullable=False, server_default="0"),
    Column("customers", Integer, nullable=False, server_default="0"),
    Column("tickets", Integer, nullable=False, server_default="0"),
    Column("updated_at", UtcDateTime(), nullable=False),
)
