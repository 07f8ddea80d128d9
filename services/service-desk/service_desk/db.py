"""Tables of the service-desk database and their mapping to the domain."""
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import registry

from crm_shared.db import NAMING_CONVENTION, UtcDateTime, audit_log_table
from crm_shared.rate_limit import rate_limit_table
from service_desk.domain import Ticket
from service_desk.return_visits import ReturnVisit

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
    # Null for a public request until an agent links it to a customer.
    Column("customer_id", String(36), ForeignKey(known_customers.c.customer_id)),
    Column("subject", String(200), nullable=False),
    Column("description", Text),
    Column("priority", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("opened_by", String(36)),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("channel", String(50)),
    Column("closed_at", UtcDateTime()),
    Column("closed_by", String(36)),
    Column("resolution", Text),
    Column("opportunity_requested_at", UtcDateTime()),
    Column("opportunity_requested_by", String(36)),
    # Set by sales' `sales.opportunity.opened.v1` naming this ticket, or the reason of its refusal.
    Column("opportunity_id", String(36)),
    Column("opportunity_refusal", String(50)),
    Column("version", Integer, nullable=False),
    Column("number", String(20)),
    Column("contact_id", String(36)),
    Column("category", String(50)),
    Column("tags", JSON, nullable=False),
    Column("assignee_id", String(36)),
    Column("group_id", String(36)),
    Column("source", String(20), nullable=False),
    Column("requester_name", String(100)),
    Column("requester_email", String(254)),
    Column("requester_phone", String(40)),
    Column("requester_company", String(200)),
    Column("public_token_hash", String(64)),
    Column("updated_at", UtcDateTime()),
    Column("first_replied_at", UtcDateTime()),
    Column("resolved_at", UtcDateTime()),
    Column("satisfaction_rating", Integer),
    Column("satisfaction_comment", Text),
    Column("satisfaction_rated_at", UtcDateTime()),
    Column("satisfaction_rated_by", String(36)),
    Column("satisfaction_by_customer", Boolean),
    Column("history_seq", Integer, nullable=False),
    Index("ix_tickets_customer_opened", "customer_id", "opened_at"),
    Index("ix_tickets_status_opened", "status", "opened_at"),
    Index("ix_tickets_opened", "opened_at"),
    Index("ix_tickets_assignee_status", "assignee_id", "status"),
    Index("ix_tickets_group_status", "group_id", "status"),
    UniqueConstraint("number", name="uq_tickets_number"),
)

# One row per fact in a ticket's life, numbered per ticket; written in the transaction of the change.
ticket_history = Table(
    "ticket_history",
    metadata,
    Column("ticket_id", String(36), ForeignKey(tickets.c.id), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("actor_id", String(36)),
    Column("from_status", String(20)),
    Column("to_status", String(20)),
    Column("field", String(40)),
    Column("old_value", JSON),
    Column("new_value", JSON),
    Column("public", Boolean, nullable=False),
    Column("rule_id", String(36)),
    Column("detail", JSON, nullable=False),
    PrimaryKeyConstraint("ticket_id", "seq", name="pk_ticket_history"),
    Index("ix_ticket_history_at", "at"),
)

# Public replies and internal notes; `public` decides whether the customer ever sees one.
ticket_messages = Table(
    "ticket_messages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("ticket_id", String(36), ForeignKey(tickets.c.id), nullable=False),
    Column("public", Boolean, nullable=False),
    Column("author_kind", String(20), nullable=False),
    Column("author_id", String(36)),
    Column("author_name", String(100)),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_ticket_messages_ticket_created", "ticket_id", "created_at"),
)

# The last number given out per year: SD-<year>-<six digits>. Its row lock serialises openers.
ticket_numbers = Table(
    "ticket_numbers",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last_number", Integer, nullable=False),
)

return_visits = Table(
    "return_visits",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("ticket_id", String(36), ForeignKey(tickets.c.id), nullable=False),
    Column("ticket_number", String(20)),
    Column("customer_id", String(36)),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("assignee_id", String(36), nullable=False),
    Column("note", Text),
    Column("status", String(20), nullable=False),
    Column("outcome", String(30)),
    Column("outcome_note", Text),
    Column("scheduled_by", String(36), nullable=False),
    Column("scheduled_at", UtcDateTime(), nullable=False),
    Column("completed_by", String(36)),
    Column("completed_at", UtcDateTime()),
    Column("version", Integer, nullable=False),
    Index("ix_return_visits_status_due", "status", "due_at"),
    Index("ix_return_visits_ticket", "ticket_id"),
)

# Fixed windows of public requests per key ("ip:<address>", "email:<address>"); rows are locked while counted,
# so every process shares one count.
public_rate_limits = rate_limit_table(metadata, "public_rate_limits")


def start_mappers() -> None:
    """Map the aggregates once per process; their version columns guard later concurrent edits."""
    if getattr(Ticket, "__mapper__", None) is not None:
        return
    mapper_registry.map_imperatively(
        Ticket,
        tickets,
        version_id_col=tickets.c.version,
        exclude_properties=["events", "new_history"],
    )
    event.listen(Ticket, "load", _fresh_ticket)
    mapper_registry.map_imperatively(
        ReturnVisit,
        return_visits,
        version_id_col=return_visits.c.version,
        exclude_properties=["events"],
    )
    event.listen(ReturnVisit, "load", _fresh_event_list)


def _fresh_ticket(ticket: Ticket, _context) -> None:
    # Loaded aggregates start with nothing pending; dataclass __init__ is not called on load.
    ticket.events = []
    ticket.new_history = []


def _fresh_event_list(aggregate, _context) -> None:
    aggregate.events = []


# SLA calendars, policies and notices declare their tables on this metadata; importing them here keeps it whole.
import service_desk.db_sla  # noqa: E402,F401
# Agent groups, profiles, workflow rules and the user directory, likewise.
import service_desk.db_workflow  # noqa: E402,F401
# Solutions and the knowledge base, likewise.
import service_desk.db_kb  # noqa: E402,F401

# Who changed which ticket (and the desk's settings) when: crm_shared.audit, written with each change.
audit_log = audit_log_table(metadata)
