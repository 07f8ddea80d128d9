"""Lead search columns and indexes, notes and merges, duplicate match keys, import jobs.

Revision ID: 0004
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

CHUNK = 5000


def upgrade() -> None:
    connection = op.get_bind()
    postgres = connection.dialect.name == "postgresql"
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("notes", sa.Text))
        batch.add_column(sa.Column("merged_into_id", sa.String(36)))
        batch.add_column(sa.Column("search_text", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("search_grams", sa.Text, nullable=False, server_default=""))
    op.create_index("ix_leads_created_id", "leads", ["created_at", "id"])
    op.create_index("ix_leads_company_id", "leads", ["company", "id"])

    op.create_table(
        "lead_match_keys",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("lead_id", sa.String(36), primary_key=True),
    )
    op.create_index("ix_lead_match_keys_lead", "lead_match_keys", ["lead_id"])
    op.create_table(
        "lead_imports",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("file_format", sa.String(10), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("processed", sa.Integer, nullable=False),
        sa.Column("created", sa.Integer, nullable=False),
        sa.Column("skipped", sa.Integer, nullable=False),
        sa.Column("merged", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("errors", sa.JSON, nullable=False),
        sa.Column("message", sa.String(1000)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_lead_imports_created_by", "lead_imports", ["created_by", "created_at"])

    _index_existing_leads(connection)
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_leads_search_trgm ON leads USING gin (search_text gin_trgm_ops)")
        op.execute("CREATE INDEX ix_leads_search_grams ON leads USING gin (string_to_array(search_grams, ' '))")


def _index_existing_leads(connection) -> None:
    """Fill the search columns and match keys of the leads there are, with the rules the code uses today."""
    from leads.matching import duplicate_keys
    from leads.search import search_grams, search_text

    leads = sa.table("leads", sa.column("id"), sa.column("company"), sa.column("contact_name"), sa.column("phone"),
                     sa.column("email"), sa.column("notes"), sa.column("search_text"), sa.column("search_grams"))
    keys = sa.table("lead_match_keys", sa.column("key"), sa.column("lead_id"))
    last = ""
    while True:
        rows = connection.execute(
            sa.select(leads.c.id, leads.c.company, leads.c.contact_name, leads.c.phone, leads.c.email)
            .where(leads.c.id > last).order_by(leads.c.id).limit(CHUNK)
        ).all()
        if not rows:
            return
        connection.execute(
            leads.update().where(leads.c.id == sa.bindparam("lead_id"))
            .values(search_text=sa.bindparam("text"), search_grams=sa.bindparam("grams")),
            [{"lead_id": r.id, "text": search_text(r.company, r.contact_name, r.phone, r.email, None),
              "grams": search_grams(r.company, r.contact_name, None)} for r in rows],
        )
        key_rows = [{"key": key, "lead_id": r.id} for r in rows for key in duplicate_keys(r.company, r.phone, r.email)]
        if key_rows:
            connection.execute(keys.insert(), key_rows)
        last = rows[-1].id


def downgrade() -> None:
    op.drop_table("lead_imports")
    op.drop_table("lead_match_keys")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_leads_search_grams", table_name="leads")
        op.drop_index("ix_leads_search_trgm", table_name="leads")
    op.drop_index("ix_leads_company_id", table_name="leads")
    op.drop_index("ix_leads_created_id", table_name="leads")
    with op.batch_alter_table("leads") as batch:
        for column in ("search_grams", "search_text", "merged_into_id", "notes"):
            batch.drop_column(column)
