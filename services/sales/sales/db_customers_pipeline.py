"""Tables of the customer directory and the pipeline: levels, contacts, team members, stages, products, lines."""
from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)

from crm_shared.db import BigId, ExactDecimal, UtcDateTime
from crm_shared.directory import directory_tables
from sales.db import customers, metadata, opportunities

# Who is in which team, from the gateway's user events: managers see their teams' customers.
directory = directory_tables(metadata)

# The levels a customer may have (A/B/C by default); an admin may add rows.
customer_levels = Table(
    "customer_levels",
    metadata,
    Column("key", String(20), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("position", Integer, nullable=False),
)

customer_contacts = Table(
    "customer_contacts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("customer_id", String(36), ForeignKey(customers.c.id), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("title", String(100)),
    Column("phone", String(50)),
    Column("email", String(254)),
    Column("is_primary", Boolean, nullable=False),
    Index("ix_customer_contacts_customer_position", "customer_id", "position"),
    # At most one primary contact per customer, whatever a writer does; the domain asks for exactly one.
    Index(
        "uq_customer_contacts_primary", "customer_id", unique=True,
        postgresql_where=text("is_primary"), sqlite_where=text("is_primary"),
    ),
)

customer_team_members = Table(
    "customer_team_members",
    metadata,
    Column("customer_id", String(36), ForeignKey(customers.c.id), primary_key=True),
    Column("user_id", String(36), primary_key=True),
    Column("access", String(10), nullable=False),
    Column("expires_at", UtcDateTime()),
    Column("added_by", String(36), nullable=False),
    Column("added_at", UtcDateTime(), nullable=False),
    Index("ix_customer_team_members_user", "user_id"),
)

pipeline_stages = Table(
    "pipeline_stages",
    metadata,
    Column("key", String(50), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("position", Integer, nullable=False),
    # Percent, 0 to 100: the weight of an open deal in this stage in the forecast.
    Column("win_probability", Integer, nullable=False),
    Column("is_won", Boolean, nullable=False, server_default="0"),
    Column("is_lost", Boolean, nullable=False, server_default="0"),
    UniqueConstraint("position", name="uq_pipeline_stages_position"),
)

opportunity_stage_changes = Table(
    "opportunity_stage_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("opportunity_id", String(36), ForeignKey(opportunities.c.id), nullable=False),
    Column("from_stage", String(50)),
    Column("to_stage", String(50), nullable=False),
    Column("actor_id", String(36), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_opportunity_stage_changes_opportunity_at", "opportunity_id", "at"),
)

products = Table(
    "products",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("unit_price", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("sku", name="uq_products_sku"),
)

opportunity_lines = Table(
    "opportunity_lines",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("opportunity_id", String(36), ForeignKey(opportunities.c.id), nullable=False),
    Column("position", Integer, nullable=False),
    Column("product_id", String(36), ForeignKey(products.c.id), nullable=False),
    # The product's sku and name as sold: the catalogue may rename it later.
    Column("sku", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("quantity", ExactDecimal(), nullable=False),
    Column("unit_price", ExactDecimal(), nullable=False),
    Column("discount", ExactDecimal(), nullable=False),
    Index("ix_opportunity_lines_opportunity_position", "opportunity_id", "position"),
)


def start_catalogue_mapper(mapper_registry) -> None:
    """Map products once; their version column guards concurrent edits of a price."""
    from sales.catalogue import Product

    if getattr(Product, "__mapper__", None) is None:
        mapper_registry.map_imperatively(Product, products, version_id_col=products.c.version)
