"""Tables of the leads database and their mapping to the domain."""
from sqlalchemy import Column, Index, Integer, MetaData, String, Table, event
from sqlalchemy.orm import registry

from crm_shared.db import NAMING_CONVENTION, UtcDateTime
from leads.domain import Lead

metadata = MetaData(naming_convention=NAMING_CONVENTION)
mapper_registry = registry(metadata=metadata)

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
    Index("ix_leads_status_created", "status", "created_at"),
    Index("ix_leads_owner_status", "owner_id", "status"),
)


def start_mappers() -> None:
    """Map the domain classes once per process; the version column makes concurrent claims lose cleanly."""
    if getattr(Lead, "__mapper__", None) is not None:
        return
    mapper_registry.map_imperatively(
        Lead,
        leads,
        version_id_col=leads.c.version,
        exclude_properties=["events"],
    )
    event.listen(Lead, "load", _fresh_event_list)


def _fresh_event_list(lead: Lead, _context) -> None:
    # Loaded aggregates start with no pending events; dataclass __init__ is not called on load.
    lead.events = []
