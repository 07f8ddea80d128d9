"""Tables of duplicate match keys and import jobs, the search indexes, and the listeners that keep them current."""
from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, String, Table, cast, delete, func, inspect
from sqlalchemy.dialects import postgresql, sqlite

from crm_shared.db import UtcDateTime
from leads.db import leads, metadata
from leads.domain import MERGED, Lead
from leads.matching import duplicate_keys
from leads.search import search_columns

# One row per (key, lead): `phone:+8613800138000`, `email:li@example.cn`, `company:锦佳` (leads/matching.py).
lead_match_keys = Table(
    "lead_match_keys",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("lead_id", String(36), primary_key=True),
    Index("ix_lead_match_keys_lead", "lead_id"),
)

# One row per import: what was asked, how far it has got, and what it found wrong (the first rows of it).
lead_imports = Table(
    "lead_imports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("file_name", String(300), nullable=False),
    Column("file_format", String(10), nullable=False),
    Column("options", JSON, nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("total", Integer, nullable=False),
    Column("processed", Integer, nullable=False),
    Column("created", Integer, nullable=False),
    Column("skipped", Integer, nullable=False),
    Column("merged", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("errors", JSON, nullable=False),
    Column("message", String(1000)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime()),
    Index("ix_lead_imports_created_by", "created_by", "created_at"),
)

# Keyset pagination walks these; PostgreSQL alone gets the text indexes (see leads/search.py for why these).
Index("ix_leads_created_id", leads.c.created_at, leads.c.id)
Index("ix_leads_company_id", leads.c.company, leads.c.id)
Index("ix_leads_search_trgm", leads.c.search_text, postgresql_using="gin",
      postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
Index("ix_leads_search_grams", func.string_to_array(leads.c.search_grams, " "),
      postgresql_using="gin").ddl_if(dialect="postgresql")
# The search's common filters, which PostgreSQL combines with the text indexes (migration 0011); with
# status and date, a filtered search's page is the index's first entries and its count reads only its
# matches (migration 0017).
Index("ix_leads_region_industry_status", leads.c.region, leads.c.industry, leads.c.status, leads.c.created_at,
      leads.c.id)
Index("ix_leads_industry", leads.c.industry)
Index("ix_leads_channel_created", leads.c.channel, leads.c.created_at)
# Each owner's leads newest first: the "mine" and "my teams'" parts of a rep's search (migration 0014).
Index("ix_leads_owner_created", leads.c.owner_id, leads.c.created_at, leads.c.id)
# The tag filter's containment test, written as leads/search_repository.py writes it; its statistics tell
# the planner how many leads carry a tag (migration 0014).
Index("ix_leads_tags", cast(leads.c.tags, postgresql.JSONB).label("tags_jsonb"), postgresql_using="gin",
      postgresql_ops={"tags_jsonb": "jsonb_path_ops"}).ddl_if(dialect="postgresql")

_TEXT_FIELDS = ("company", "contact_name", "phone", "email", "notes")
_KEY_FIELDS = ("company", "phone", "email")


def searchable(values) -> dict[str, str]:
    """The search columns of a lead given as anything with its fields (a Lead, or a row being imported)."""
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name, None)
    text, grams = search_columns(get("company"), get("contact_name"), get("phone"), get("email"), get("notes"))
    return {"search_text": text, "search_grams": grams}


def keys_of(lead) -> set[str]:
    """The duplicate keys a lead is found by; none once it is merged into another."""
    if lead.status == MERGED:
        return set()
    return duplicate_keys(lead.company, lead.phone, lead.email)


def insert_match_keys(connection, rows: list[dict]) -> None:
    """Add (key, lead_id) rows, ignoring those already there (a merge may have moved them in first)."""
    if not rows:
        return
    build = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(build(lead_match_keys).on_conflict_do_nothing(), rows)


def keep_search_columns_and_match_keys() -> None:
    """Whatever path writes a lead through the mapper, its search columns and match keys follow."""
    from sqlalchemy import event

    event.listen(Lead, "before_insert", _fill_search_columns)
    event.listen(Lead, "before_update", _refresh_search_columns)
    event.listen(Lead, "after_insert", _add_match_keys)
    event.listen(Lead, "after_update", _update_match_keys)


def _changed(lead: Lead, names) -> bool:
    state = inspect(lead)
    return any(state.attrs[name].history.has_changes() for name in names)


def _fill_search_columns(_mapper, _connection, lead: Lead) -> None:
    for name, value in searchable(lead).items():
        setattr(lead, name, value)


def _refresh_search_columns(_mapper, _connection, lead: Lead) -> None:
    if _changed(lead, _TEXT_FIELDS):
        _fill_search_columns(_mapper, _connection, lead)


def _add_match_keys(_mapper, connection, lead: Lead) -> None:
    insert_match_keys(connection, [{"key": key, "lead_id": lead.id} for key in keys_of(lead)])


def _update_match_keys(_mapper, connection, lead: Lead) -> None:
    # Only the difference: keys a merge moved onto this lead are not its own fields' and must stay.
    if not _changed(lead, (*_KEY_FIELDS, "status")):
        return
    state = inspect(lead)
    before = {}
    for name in (*_KEY_FIELDS, "status"):
        history = state.attrs[name].history
        before[name] = history.deleted[0] if history.deleted else getattr(lead, name)
    old = set() if before["status"] == MERGED else duplicate_keys(before["company"], before["phone"], before["email"])
    new = keys_of(lead)
    gone = old - new
    if lead.status == MERGED:
        connection.execute(delete(lead_match_keys).where(lead_match_keys.c.lead_id == lead.id))
    elif gone:
        connection.execute(delete(lead_match_keys).where(lead_match_keys.c.lead_id == lead.id,
                                                         lead_match_keys.c.key.in_(gone)))
    insert_match_keys(connection, [{"key": key, "lead_id": lead.id} for key in new - old])
