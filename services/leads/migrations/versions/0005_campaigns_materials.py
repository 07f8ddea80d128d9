"""Campaigns, marketing materials and their deliveries to leads.

Revision ID: 0005
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        # SQLite's NUMERIC is a float: keep the decimal's text there, exact NUMERIC on PostgreSQL.
        sa.Column("budget_amount", sa.Numeric(18, 2).with_variant(sa.String(40), "sqlite"), nullable=False),
        sa.Column("budget_currency", sa.String(3), nullable=False),
        sa.Column("segment", sa.JSON),
        sa.Column("description", sa.String(2000)),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("code", name="uq_campaigns_code"),
    )
    op.create_table(
        "materials",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("campaign_id", sa.String(36),
                  sa.ForeignKey("campaigns.id", name="fk_materials_campaign_id_campaigns")),
        sa.Column("description", sa.String(2000)),
        sa.Column("url", sa.String(2000)),
        sa.Column("file_name", sa.String(255)),
        sa.Column("content_type", sa.String(100)),
        sa.Column("size_bytes", sa.BigInteger),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_materials_campaign", "materials", ["campaign_id"])
    op.create_table(
        "material_deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("material_id", sa.String(36),
                  sa.ForeignKey("materials.id", name="fk_material_deliveries_material_id_materials"), nullable=False),
        sa.Column("lead_id", sa.String(36),
                  sa.ForeignKey("leads.id", name="fk_material_deliveries_lead_id_leads"), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("sent_by", sa.String(36), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True)),
        sa.Column("clicked_at", sa.DateTime(timezone=True)),
        sa.Column("open_count", sa.Integer, nullable=False),
        sa.Column("click_count", sa.Integer, nullable=False),
        sa.UniqueConstraint("token", name="uq_material_deliveries_token"),
    )
    op.create_index("ix_material_deliveries_lead", "material_deliveries", ["lead_id", "sent_at"])
    op.create_index("ix_material_deliveries_material", "material_deliveries", ["material_id", "sent_at"])


def downgrade() -> None:
    op.drop_table("material_deliveries")
    op.drop_table("materials")
    op.drop_table("campaigns")
