"""Tables of campaigns, materials and material deliveries, and their mapping to the domain."""
from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, Integer, String, Table

from crm_shared.db import ExactDecimal, UtcDateTime
from leads.campaigns import Campaign, LeadSegment, Material
from leads.db import ValueObjectJSON, mapper_registry, metadata


campaigns = Table(
    "campaigns",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("code", String(100), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("channel", String(50), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("budget_amount", ExactDecimal(), nullable=False),
    Column("budget_currency", String(3), nullable=False),
    Column("segment", ValueObjectJSON(LeadSegment)),
    Column("description", String(2000)),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
)

materials = Table(
    "materials",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("campaign_id", String(36), ForeignKey("campaigns.id", name="fk_materials_campaign_id_campaigns")),
    Column("description", String(2000)),
    Column("url", String(2000)),
    Column("file_name", String(255)),
    Column("content_type", String(100)),
    Column("size_bytes", BigInteger),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_materials_campaign", "campaign_id"),
)

# One row per material sent to a lead: the follow-up record; the token is the tracked link's only key.
material_deliveries = Table(
    "material_deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("material_id", String(36), ForeignKey("materials.id", name="fk_material_deliveries_material_id_materials"),
           nullable=False),
    Column("lead_id", String(36), ForeignKey("leads.id", name="fk_material_deliveries_lead_id_leads"), nullable=False),
    Column("token", String(64), nullable=False, unique=True),
    Column("sent_by", String(36), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=False),
    Column("opened_at", UtcDateTime()),
    Column("clicked_at", UtcDateTime()),
    Column("open_count", Integer, nullable=False),
    Column("click_count", Integer, nullable=False),
    Index("ix_material_deliveries_lead", "lead_id", "sent_at"),
    Index("ix_material_deliveries_material", "material_id", "sent_at"),
)


def start_campaign_mappers() -> None:
    """Map campaigns and materials (deliveries are written and read as rows, in bulk)."""
    mapper_registry.map_imperatively(Campaign, campaigns, version_id_col=campaigns.c.version)
    mapper_registry.map_imperatively(Material, materials, version_id_col=materials.c.version)
