"""Tables of the sales database and their mapping to the domain."""
from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import registry

from crm_shared.db import NAMING_CONVENTION, BigId, ExactDecimal, UtcDateTime, audit_log_table
from sales.domain import Customer
from sales.opportunities import Opportunity

metadata = MetaData(naming_convention=NAMING_CONVENTION)
mapper_registry = registry(metadata=metadata)


customers = Table(
    "customers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("lead_id", String(36)),
    # Null while the customer waits in the public pool (returned by its owner).
    Column("owner_id", String(36)),
    Column("channel", String(50), nullable=False),
    Column("contact_name", String(200)),
    Column("phone", String(50)),
    Column("email", String(254)),
    Column("region", String(100)),
    Column("industry", String(100)),
    Column("campaign", String(200)),
    Column("won_deals", Integer, nullable=False, server_default="0"),
    Column("level", String(20)),
    Column("created_at", UtcDateTime(), nullable=False),
    # Every edit stamps these, which also moves the version (the ETag) on.
    Column("updated_at", UtcDateTime()),
    Column("updated_by", String(36)),
    Column("version", Integer, nullable=False),
    UniqueConstraint("lead_id", name="uq_customers_lead_id"),
    Index("ix_customers_owner_created", "owner_id", "created_at"),
    Index("ix_customers_created", "created_at"),
)

customer_ownership_changes = Table(
    "customer_ownership_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("customer_id", String(36), ForeignKey(customers.c.id), nullable=False),
    Column("from_owner_id", String(36)),
    Column("to_owner_id", String(36)),
    Column("reason", String(20), nullable=False),
    Column("actor_id", String(36), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("detail", String(1000)),
    Index("ix_customer_ownership_changes_customer_at", "customer_id", "at"),
)

opportunities = Table(
    "opportunities",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("customer_id", String(36), ForeignKey(customers.c.id), nullable=False),
    Column("lead_id", String(36)),
    Column("name", String(200), nullable=False),
    Column("stage", String(50), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("expected_close_date", Date),
    Column("owner_id", String(36), nullable=False),
    Column("status", String(10), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("closed_at", UtcDateTime()),
    Column("closed_by", String(36)),
    Column("close_reason", Text),
    Column("competitor", String(200)),
    Column("source", String(50)),
    # The service-desk ticket where an agent spotted the need, when it came from one.
    Column("source_ticket_id", String(36)),
    Column("updated_at", UtcDateTime()),
    Column("updated_by", String(36)),
    Column("version", Integer, nullable=False),
    Index("ix_opportunities_customer_created", "customer_id", "created_at"),
    Index("ix_opportunities_status_stage", "status", "stage"),
    Index("ix_opportunities_owner_status", "owner_id", "status"),
)


def start_mappers() -> None:
    """Map the domain classes once per process; the version columns guard concurrent edits."""
    from sales.db_customers_pipeline import start_catalogue_mapper
    from sales.db_orders_contracts import start_order_contract_mappers

    from sales.db_money import start_money_mappers
    from sales.db_targets import start_target_mappers

    start_order_contract_mappers()
    start_money_mappers()
    start_target_mappers()
    if getattr(Customer, "__mapper__", None) is not None:
        return
    mapper_registry.map_imperatively(
        Customer,
        customers,
        version_id_col=customers.c.version,
        exclude_properties=["events", "ownership_changes", "contacts", "team_members"],
    )
    mapper_registry.map_imperatively(
        Opportunity,
        opportunities,
        version_id_col=opportunities.c.version,
        exclude_properties=["events", "stage_changes", "lines"],
    )
    event.listen(Customer, "load", _fresh_customer)
    event.listen(Opportunity, "load", _fresh_opportunity)
    start_catalogue_mapper(mapper_registry)


def _fresh_customer(customer: Customer, _context) -> None:
    # Loaded aggregates start with no pending events; dataclass __init__ is not called on load.
    customer.events = []
    customer.ownership_changes = []
    customer.contacts = []
    customer.team_members = []


def _fresh_opportunity(opportunity: Opportunity, _context) -> None:
    opportunity.events = []
    opportunity.stage_changes = []
    opportunity.lines = []


# Orders, contracts and approvals declare their tables on this metadata; importing them here keeps it whole.
import sales.db_orders_contracts  # noqa: E402,F401
import sales.db_customers_pipeline  # noqa: E402,F401
import sales.db_money  # noqa: E402,F401
import sales.db_targets  # noqa: E402,F401
import sales.db_timeline  # noqa: E402,F401

# Who changed which customer, deal, order, contract or money record when: crm_shared.audit, written with each change.
audit_log = audit_log_table(metadata)
