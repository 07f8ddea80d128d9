"""Tables of the knowledge base and of ticket solutions, with the search indexes (see kb_search.py for why these)."""
from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, func

from crm_shared.db import UtcDateTime
from service_desk.db import metadata, tickets

kb_categories = Table(
    "kb_categories",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("parent_id", String(36), ForeignKey("kb_categories.id")),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_kb_categories_parent", "parent_id"),
)

# One row per article: what it is known by (its published version, or its draft while never published),
# and the search columns of its published version (empty until it has one).
kb_articles = Table(
    "kb_articles",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("category_id", String(36), ForeignKey(kb_categories.c.id)),
    Column("status", String(20), nullable=False),
    Column("title", String(200), nullable=False),
    Column("visibility", String(20), nullable=False),
    # The tags between separators (`␟a␟b␟`), so one tag is matched whole by LIKE on either database.
    Column("tags_text", Text, nullable=False),
    Column("published_version", Integer),
    Column("published_at", UtcDateTime()),
    Column("search_title", Text, nullable=False),
    Column("search_text", Text, nullable=False),
    Column("search_grams", Text, nullable=False),
    Column("source_solution_id", String(36)),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_kb_articles_status_visibility", "status", "visibility", "published_at"),
    Index("ix_kb_articles_category", "category_id"),
    Index("ix_kb_articles_updated", "updated_at"),
)
# PostgreSQL alone gets the text indexes; `only_on` tells the migration test not to expect them elsewhere.
Index("ix_kb_articles_search_trgm", kb_articles.c.search_text, postgresql_using="gin",
      postgresql_ops={"search_text": "gin_trgm_ops"}, info={"only_on": "postgresql"}).ddl_if(dialect="postgresql")
Index("ix_kb_articles_search_grams", func.string_to_array(kb_articles.c.search_grams, " "),
      postgresql_using="gin", info={"only_on": "postgresql"}).ddl_if(dialect="postgresql")

kb_article_versions = Table(
    "kb_article_versions",
    metadata,
    Column("article_id", String(36), ForeignKey(kb_articles.c.id), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("visibility", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("published_by", String(36)),
    Column("published_at", UtcDateTime()),
)

# Whether an article helped with a ticket, one row per (article, ticket, agent): a second mark replaces the first.
kb_article_votes = Table(
    "kb_article_votes",
    metadata,
    Column("article_id", String(36), ForeignKey(kb_articles.c.id), primary_key=True),
    Column("ticket_id", String(36), ForeignKey(tickets.c.id), primary_key=True),
    Column("agent_id", String(36), primary_key=True),
    Column("helped", Boolean, nullable=False),
    Column("voted_at", UtcDateTime(), nullable=False),
    Index("ix_kb_article_votes_ticket", "ticket_id"),
)

ticket_solutions = Table(
    "ticket_solutions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("ticket_id", String(36), ForeignKey(tickets.c.id), nullable=False),
    Column("summary", String(500), nullable=False),
    Column("steps", JSON, nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # The article promoted from it; set once.
    Column("article_id", String(36), ForeignKey(kb_articles.c.id)),
    Index("ix_ticket_solutions_ticket", "ticket_id", "created_at"),
)
