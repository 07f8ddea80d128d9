"""The knowledge base (categories, articles and their versions, helpfulness votes) and ticket solutions.

Revision ID: 0007
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_categories",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("parent_id", sa.String(36),
                  sa.ForeignKey("kb_categories.id", name="fk_kb_categories_parent_id_kb_categories")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kb_categories_parent", "kb_categories", ["parent_id"])
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("category_id", sa.String(36),
                  sa.ForeignKey("kb_categories.id", name="fk_kb_articles_category_id_kb_categories")),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("visibility", sa.String(20), nullable=False),
        sa.Column("tags_text", sa.Text, nullable=False),
        sa.Column("published_version", sa.Integer),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("search_title", sa.Text, nullable=False),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("search_grams", sa.Text, nullable=False),
        sa.Column("source_solution_id", sa.String(36)),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_kb_articles_status_visibility", "kb_articles", ["status", "visibility", "published_at"])
    op.create_index("ix_kb_articles_category", "kb_articles", ["category_id"])
    op.create_index("ix_kb_articles_updated", "kb_articles", ["updated_at"])
    if op.get_bind().dialect.name == "postgresql":
        # Words of 3+ letters through trigrams, pairs of Chinese characters through their own list
        # (service_desk/kb_search.py says why).
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_kb_articles_search_trgm ON kb_articles USING gin (search_text gin_trgm_ops)")
        op.execute("CREATE INDEX ix_kb_articles_search_grams ON kb_articles "
                   "USING gin (string_to_array(search_grams, ' '))")
    op.create_table(
        "kb_article_versions",
        sa.Column("article_id", sa.String(36),
                  sa.ForeignKey("kb_articles.id", name="fk_kb_article_versions_article_id_kb_articles"),
                  primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("visibility", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(36)),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "kb_article_votes",
        sa.Column("article_id", sa.String(36),
                  sa.ForeignKey("kb_articles.id", name="fk_kb_article_votes_article_id_kb_articles"),
                  primary_key=True),
        sa.Column("ticket_id", sa.String(36),
                  sa.ForeignKey("tickets.id", name="fk_kb_article_votes_ticket_id_tickets"), primary_key=True),
        sa.Column("agent_id", sa.String(36), primary_key=True),
        sa.Column("helped", sa.Boolean, nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kb_article_votes_ticket", "kb_article_votes", ["ticket_id"])
    op.create_table(
        "ticket_solutions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("ticket_id", sa.String(36),
                  sa.ForeignKey("tickets.id", name="fk_ticket_solutions_ticket_id_tickets"), nullable=False),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("steps", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("article_id", sa.String(36),
                  sa.ForeignKey("kb_articles.id", name="fk_ticket_solutions_article_id_kb_articles")),
    )
    op.create_index("ix_ticket_solutions_ticket", "ticket_solutions", ["ticket_id", "created_at"])


def downgrade() -> None:
    op.drop_table("ticket_solutions")
    op.drop_table("kb_article_votes")
    op.drop_table("kb_article_versions")
    op.drop_table("kb_articles")
    op.drop_table("kb_categories")
