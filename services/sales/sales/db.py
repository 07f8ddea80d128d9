"""Tables of the sales database and their mapping to the domain."""
from sqlalchemy import Column, Index, Integer, MetaData, String, Table, UniqueConstraint, event
from sqlalchemy.orm import registry

from crm_shared.db import NAMING_CONVENTION, UtcDateTime
from sales.domain import Customer

metadata = MetaData(naming_convention=NAMING_CONVENTION)
mapper_registry = registry(metadata=metadata)

customers = Table(
    "customers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("lead_id", String(36)),
    Column("owner_id", String(36), nullable=False),
    Column("channel", String(50), nullable=False),
    Column("contact_name", String(200)),
    Column("phone", String(50)),
    Column("email", String(254)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("lead_id", name="uq_customers_lead_id"),
    Index("ix_customers_owner_created", "owner_id", "created_at"),
    Index("ix_customers_created", "created_at"),
)


def start_mappers() -> None:
    """Map the domain classes once per process; the version column guards later concurrent edits."""
    if getattr(Customer, "__mapper__", None) is not None:
        return
    mapper_registry.map_imperatively(
        Customer,
        customers,
        version_id_col=customers.c.version,
        exclude_properties=["events"],
    )
    event.listen(Customer, "load", _fresh_event_list)


def _fresh_event_list(customer: Customer, _context) -> None:
    # Loaded aggregates start with no pending events; dataclass __init__ is not called on load.
    customer.events = []
