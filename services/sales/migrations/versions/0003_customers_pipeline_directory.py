"""Customer levels, contacts and team members; the user directory; pipeline stages, stage history, products and lines.

Revision ID: 0003
Revises: 0002
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(18, 2).with_variant(sa.String(40), "sqlite")
TIME = sa.DateTime(timezone=True)

DEFAULT_LEVELS = [("A", "A: key account", 1), ("B", "B: growth account", 2), ("C", "C: standard account", 3)]
# The stages every opportunity used before this revision, their weights, and the two ends.
DEFAULT_STAGES = [
    ("qualification", "Qualification", 1, 10, False, False),
    ("needs_analysis", "Needs analysis", 2, 25, False, False),
    ("proposal", "Proposal", 3, 50, False, False),
    ("negotiation", "Negotiation", 4, 75, False, False),
    ("won", "Won", 5, 100, True, False),
    ("lost", "Lost", 6, 0, False, True),
]


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("level", sa.String(20)))
        batch.add_column(sa.Column("updated_at", TIME))
        batch.add_column(sa.Column("updated_by", sa.String(36)))
    with op.batch_alter_table("opportunities") as batch:
        batch.add_column(sa.Column("competitor", sa.String(200)))
        batch.add_column(sa.Column("source", sa.String(50)))
        batch.add_column(sa.Column("source_ticket_id", sa.String(36)))
        batch.add_column(sa.Column("updated_at", TIME))
        batch.add_column(sa.Column("updated_by", sa.String(36)))
    op.create_index("ix_opportunities_status_stage", "opportunities", ["status", "stage"])

    op.create_table(
        "directory_users",
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("changed_at", TIME, nullable=False),
    )
    op.create_table(
        "directory_user_teams",
        sa.Column("user_id", sa.String(36),
                  sa.ForeignKey("directory_users.user_id", name="fk_directory_user_teams_user_id_directory_users",
                                ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("team_id", sa.String(36), primary_key=True),
    )
    op.create_index("ix_directory_user_teams_team_id", "directory_user_teams", ["team_id"])

    levels = op.create_table(
        "customer_levels",
        sa.Column("key", sa.String(20), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.bulk_insert(levels, [{"key": k, "name": n, "position": p} for k, n, p in DEFAULT_LEVELS])

    op.create_table(
        "customer_contacts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.String(36),
                  sa.ForeignKey("customers.id", name="fk_customer_contacts_customer_id_customers"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("title", sa.String(100)),
        sa.Column("phone", sa.String(50)),
        sa.Column("email", sa.String(254)),
        sa.Column("is_primary", sa.Boolean, nullable=False),
    )
    op.create_index("ix_customer_contacts_customer_position", "customer_contacts", ["customer_id", "position"])
    op.create_index("uq_customer_contacts_primary", "customer_contacts", ["customer_id"], unique=True,
                    postgresql_where=sa.text("is_primary"), sqlite_where=sa.text("is_primary"))
    # The contact a converted lead brought becomes the customer's primary contact.
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, contact_name, phone, email FROM customers WHERE contact_name IS NOT NULL"
    )).all()
    if rows:
        contacts = sa.table("customer_contacts", sa.column("id"), sa.column("customer_id"), sa.column("position"),
                            sa.column("name"), sa.column("phone"), sa.column("email"), sa.column("is_primary"))
        op.bulk_insert(contacts, [
            {"id": str(uuid.uuid4()), "customer_id": r.id, "position": 0, "name": r.contact_name, "phone": r.phone,
             "email": r.email, "is_primary": True}
            for r in rows
        ])

    op.create_table(
        "customer_team_members",
        sa.Column("customer_id", sa.String(36),
                  sa.ForeignKey("customers.id", name="fk_customer_team_members_customer_id_customers"),
                  primary_key=True),
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("access", sa.String(10), nullable=False),
        sa.Column("expires_at", TIME),
        sa.Column("added_by", sa.String(36), nullable=False),
        sa.Column("added_at", TIME, nullable=False),
    )
    op.create_index("ix_customer_team_members_user", "customer_team_members", ["user_id"])

    stages = op.create_table(
        "pipeline_stages",
        sa.Column("key", sa.String(50), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("win_probability", sa.Integer, nullable=False),
        sa.Column("is_won", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("is_lost", sa.Boolean, nullable=False, server_default="0"),
        sa.UniqueConstraint("position", name="uq_pipeline_stages_position"),
    )
    op.bulk_insert(stages, [
        {"key": k, "name": n, "position": p, "win_probability": w, "is_won": won, "is_lost": lost}
        for k, n, p, w, won, lost in DEFAULT_STAGES
    ])
    # Deals closed before this revision sit in the matching end stage.
    op.execute("UPDATE opportunities SET stage = status WHERE status IN ('won', 'lost')")

    op.create_table(
        "opportunity_stage_changes",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("opportunity_id", sa.String(36),
                  sa.ForeignKey("opportunities.id", name="fk_opportunity_stage_changes_opportunity_id_opportunities"),
                  nullable=False),
        sa.Column("from_stage", sa.String(50)),
        sa.Column("to_stage", sa.String(50), nullable=False),
        sa.Column("actor_id", sa.String(36), nullable=False),
        sa.Column("at", TIME, nullable=False),
    )
    op.create_index("ix_opportunity_stage_changes_opportunity_at", "opportunity_stage_changes", ["opportunity_id", "at"])

    op.create_table(
        "products",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("sku", name="uq_products_sku"),
    )
    op.create_table(
        "opportunity_lines",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("opportunity_id", sa.String(36),
                  sa.ForeignKey("opportunities.id", name="fk_opportunity_lines_opportunity_id_opportunities"),
                  nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("product_id", sa.String(36),
                  sa.ForeignKey("products.id", name="fk_opportunity_lines_product_id_products"), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("quantity", MONEY, nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("discount", MONEY, nullable=False),
    )
    op.create_index("ix_opportunity_lines_opportunity_position", "opportunity_lines", ["opportunity_id", "position"])


def downgrade() -> None:
    for table in ("opportunity_lines", "products", "opportunity_stage_changes", "pipeline_stages",
                  "customer_team_members", "customer_contacts", "customer_levels", "directory_user_teams",
                  "directory_users"):
        op.drop_table(table)
    op.drop_index("ix_opportunities_status_stage", "opportunities")
    with op.batch_alter_table("opportunities") as batch:
        for column in ("updated_by", "updated_at", "source_ticket_id", "source", "competitor"):
            batch.drop_column(column)
    with op.batch_alter_table("customers") as batch:
        for column in ("updated_by", "updated_at", "level"):
            batch.drop_column(column)
