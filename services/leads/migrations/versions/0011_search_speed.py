"""Indexes for the search's common filters, so a search narrowed by them never scans the leads.

Measured on 1,000,000 generated leads (bench/bench_lead_search.py, docs/performance.md): a free-text
word found in 4 % of the leads, narrowed by region and industry to a few hundred, took 230-280 ms,
because neither column had an index: PostgreSQL either walked the creation-date index past 140,000
leads or fetched every lead with the word. With these, it intersects the word's trigram index with
the region/industry index and reads only the leads that match both.

Revision ID: 0011
Revises: 0007
"""
from alembic import op

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_leads_region_industry", "leads", ["region", "industry"])
    op.create_index("ix_leads_industry", "leads", ["industry"])
    op.create_index("ix_leads_channel_created", "leads", ["channel", "created_at"])


def downgrade() -> None:
    for name in ("ix_leads_channel_created", "ix_leads_industry", "ix_leads_region_industry"):
        op.drop_index(name, table_name="leads")
