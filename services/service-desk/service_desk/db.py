"""Tables of the service-desk database and their mapping to the domain."""
from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table, Text, event
from sqlalchemy.orm import registry

from crm_shared.db import NAMING_CONVENTION, UtcDateTime
from service_desk.domain import Ticket

metadata = MetaData(naming_convention=NAMING_CONVENTION)
mapper_registry = registry(metadata=metadata)

# Filled from `sales.customer.created.v1`, the owner kept up to date by `sales.customer.returned.v1` and
# `owner_changed.v1` (null while the customer is in the public pool): the desk never reads the sales database.
known_customers = Table(
    "known_customers",
    metadata,
    Column("customer_id", String(36), primary_key=True),
    Column("owner_id", String(36)),
    # When sales made owner_id the owner: an older change arriving late is ignored.
    Column("owner_since", UtcDateTime()),
    Column("channel", String(50), nullable=False),
    Column("name", String(200), nullable=False),
    Index("ix_known_customers_owner", "owner_id"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("customer_id", String(36), ForeignKey(known_customers.c.customer_id), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("description", Text),
    Column("priority", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("opened_by", String(36), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("channel", String(50), nullable=False),
    Column("closed_at", UtcDateTime()),
    Column("closed_by", String(36)),
    Column("resolution", Text),
    Column("opportunity_requested_at", UtcDateTime()),
    Column("opportunity_requested_by", String(36)),
    # Set by sales' `sales.opportunity.opened.v1` naming this ticket, or the reason of its refusal.
    Column("opportunity_id", String(36)),
    Column("opportunity_refusal", String(50)),
    Column("version", Integer, nullable=False),
    Index("ix_tickets_customer_opened", "customer_id", "opened_at"),
    Index("ix_tickets_status_opened", "status", "opened_at"),
    Index("ix_tickets_opened", "opened_at"),
)


def start_mappers() -> None:
    """Map the ticket once per process; the version column guards later concurrent edits."""
    if getattr(Ticket, "__mapper__", None) is not None:
        return
    mapper_registry.map_imperatively(
        Ticket,
        tickets,
        version_id_col=tickets.c.version,
        exclude_properties=["events"],
    )
    event.listen(Ticket, "load", _fresh_event_list)


def _fresh_event_list(ticket: Ticket, _context) -> None:
    # Loaded aggregates start with no pending events; dataclass __init__ is not called on load.
    ticket.events = []
