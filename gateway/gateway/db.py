"""Tables of the gateway database: users and teams, and the live events waiting for the browsers."""
from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, MetaData, String, Table, Text

from crm_shared.db import NAMING_CONVENTION, BigId, UtcDateTime, audit_log_table

metadata = MetaData(naming_convention=NAMING_CONVENTION)

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("locale", String(10), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

teams = Table(
    "teams",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", String(36), ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_team_members_user", "user_id"),
)

live_events = Table(
    "live_events",
    metadata,
    Column("position", BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("body", Text, nullable=False),
    # The teams of the people the event is about (see live.visibility.OWNER_FIELDS), looked up once
    # when the worker stores the event so no stream has to ask for each event it is offered.
    Column("owner_team_ids", JSON, nullable=True),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_live_events_created_at", "created_at"),
    # AUTOINCREMENT: without it SQLite reuses the highest position once pruning empties the table,
    # and the pollers, which read "after the last position seen", would never see the new rows.
    sqlite_autoincrement=True,
)

# Who created or changed which user and team when (crm_shared.audit), written with each change.
audit_log = audit_log_table(metadata)
