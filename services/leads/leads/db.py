"""Tables of the leads database and their mapping to the domain."""
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    text,
)
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator

from crm_shared.db import NAMING_CONVENTION, BigId, UtcDateTime, audit_log_table
from crm_shared.rate_limit import rate_limit_table
from leads.domain import Lead
from leads.markets import Market, MarketConditions
from leads.pools import Pool, PoolRules, PoolScope

metadata = MetaData(naming_convention=NAMING_CONVENTION)
mapper_registry = registry(metadata=metadata)


class ValueObjectJSON(TypeDecorator):
    """A frozen value object (with to_dict / from_dict) kept as one JSON column."""

    impl = JSON
    cache_ok = True

    def __init__(self, value_class):
        super().__init__()
        self.value_class = value_class

    def process_bind_param(self, value, dialect):
        return None if value is None else value.to_dict()

    def process_result_value(self, value, dialect):
        return None if value is None else self.value_class.from_dict(value)


pools = Table(
    "pools",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("admin_ids", JSON, nullable=False),
    Column("scope", ValueObjectJSON(PoolScope), nullable=False),
    Column("rules", ValueObjectJSON(PoolRules), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    # Exactly one default pool of each kind.
    Index("uq_pools_default_kind", "kind", unique=True,
          postgresql_where=text("is_default"), sqlite_where=text("is_default")),
)

markets = Table(
    "markets",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("conditions", ValueObjectJSON(MarketConditions), nullable=False),
    Column("user_ids", JSON, nullable=False),
    Column("team_ids", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
)

leads = Table(
    "leads",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("company", String(200), nullable=False),
    Column("contact_name", String(200), nullable=False),
    Column("phone", String(50)),
    Column("email", String(254)),
    Column("channel", String(50), nullable=False),
    Column("status", String(20), nullable=False),
    Column("owner_id", String(36)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("claimed_at", UtcDateTime()),
    Column("converted_at", UtcDateTime()),
    Column("version", Integer, nullable=False),
    Column("pool_id", String(36), ForeignKey("pools.id", name="fk_leads_pool_id_pools"), nullable=False),
    Column("region", String(100)),
    Column("industry", String(100)),
    Column("company_size", String(50)),
    Column("tags", JSON, nullable=False),
    Column("campaign", String(200)),
    Column("previous_owner_id", String(36)),
    Column("entered_pool_at", UtcDateTime()),
    Column("last_followed_up_at", UtcDateTime()),
    # The later of the last follow-up and when the owner got the lead: what recycling counts from.
    Column("last_activity_at", UtcDateTime()),
    Column("notes", Text),
    Column("merged_into_id", String(36)),
    Column("customer_id", String(36)),
    # Kept by leads.db_search on every insert and update: what free-text search matches (see leads/search.py).
    Column("search_text", Text, nullable=False, server_default=""),
    Column("search_grams", Text, nullable=False, server_default=""),
    Index("ix_leads_status_created", "status", "created_at"),
    Index("ix_leads_owner_status", "owner_id", "status"),
    Index("ix_leads_pool_status", "pool_id", "status"),
    Index("ix_leads_status_last_activity", "status", "last_activity_at"),
)

lead_ownership_history = Table(
    "lead_ownership_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("lead_id", String(36), nullable=False),
    Column("pool_id", String(36), nullable=False),
    Column("from_owner_id", String(36)),
    Column("to_owner_id", String(36)),
    Column("reason", String(20), nullable=False),
    Column("actor_id", String(36), nullable=False),
    Column("detail", String(1000)),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_lead_ownership_history_lead", "lead_id", "at"),
    Index("ix_lead_ownership_history_quota", "to_owner_id", "reason", "pool_id", "at"),
)

# One row per rep, lead and business day: the second opening of a lead on one day is free.
lead_reveals = Table(
    "lead_reveals",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("lead_id", String(36), primary_key=True),
    Column("pool_id", String(36), nullable=False),
    Column("revealed_at", UtcDateTime(), nullable=False),
)

# The user directory: each user's roles and teams, from the gateway's user events (directory_at is the
# time of the last one applied) or, for users no event has described yet, from their tokens (seen_at).
# Team capacity adds up what a team's members hold, distribution checks a target's scope, and a sales
# manager sees the leads of their teams' members.
claimants = Table(
    "claimants",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("roles", JSON, nullable=False),
    Column("seen_at", UtcDateTime()),
    Column("username", String(100)),
    Column("display_name", String(200)),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("directory_at", UtcDateTime()),
)

claimant_teams = Table(
    "claimant_teams",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("team_id", String(36), primary_key=True),
    Index("ix_claimant_teams_team", "team_id"),
)

# One row per rep ("user:<id>") and team ("team:<id>"), locked FOR UPDATE for the length of a
# claim so one rep's (and one team's) quota and capacity checks run one at a time.
claim_locks = Table(
    "claim_locks",
    metadata,
    Column("key", String(80), primary_key=True),
)


def start_mappers() -> None:
    """Map the domain classes once per process; the version columns make concurrent writers lose cleanly."""
    if getattr(Lead, "__mapper__", None) is not None:
        return
    mapper_registry.map_imperatively(
        Lead,
        leads,
        version_id_col=leads.c.version,
        exclude_properties=["events", "ownership_changes"],
    )
    mapper_registry.map_imperatively(Pool, pools, version_id_col=pools.c.version)
    mapper_registry.map_imperatively(Market, markets, version_id_col=markets.c.version)
    event.listen(Lead, "load", _fresh_event_list)
    db_campaigns.start_campaign_mappers()
    db_search.keep_search_columns_and_match_keys()


def _fresh_event_list(lead: Lead, _context) -> None:
    # Loaded aggregates start with no pending events; dataclass __init__ is not called on load.
    lead.events = []
    lead.ownership_changes = []


# Campaigns, materials and deliveries live in their own module; importing it adds their tables here.
from leads import db_campaigns  # noqa: E402

# Follow-ups, the timeline and reminders live in their own module; importing it adds their tables here.
from leads import db_follow_ups  # noqa: E402

# Search columns, duplicate match keys and import jobs live in their own module; importing it adds their tables here.
from leads import db_search  # noqa: E402

# Recycle locks, open tickets and warnings sent live in their own module; importing it adds their tables here.
from leads import db_recycling  # noqa: E402

# Each pool's auto-distribution cursor lives in its own module; importing it adds its table here.
from leads import db_distribution  # noqa: E402

# Requests per user and window for pool viewing and claiming (leads/request_limits.py); rows locked while counted.
rate_limits = rate_limit_table(metadata)

# Who changed which lead (or pool, market, campaign, material) when: crm_shared.audit, written with each change.
audit_log = audit_log_table(metadata)
