"""Opportunities, the customers' ownership history, customers in the public pool and their market facts.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OWNERSHIP_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AMOUNT = sa.Numeric(18, 2).with_variant(sa.String(40), "sqlite")


def upgrade() -> None:
    # Batch mode: SQLite cannot make a column nullable in place (the table is copied).
    with op.batch_alter_table("customers") as batch:
        batch.alter_column("owner_id", existing_type=sa.String(36), nullable=True)
        batch.add_column(sa.Column("region", sa.String(100)))
        batch.add_column(sa.Column("industry", sa.String(100)))
        batch.add_column(sa.Column("campaign", sa.String(200)))
        batch.add_column(sa.Column("won_deals", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "customer_ownership_changes",
        sa.Column("id", OWNERSHIP_ID, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.String(36),
                  sa.ForeignKey("customers.id", name="fk_customer_ownership_changes_customer_id_customers"),
                  nullable=False),
        sa.Column("from_owner_id", sa.String(36)),
        sa.Column("to_owner_id", sa.String(36)),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.String(36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.String(1000)),
    )
    op.create_index("ix_customer_ownership_changes_customer_at", "customer_ownership_changes", ["customer_id", "at"])
    # Customers made before this revision start their history with the conversion that made them.
    op.execute(
        "INSERT INTO customer_ownership_changes (customer_id, from_owner_id, to_owner_id, reason, actor_id, at) "
        "SELECT id, NULL, owner_id, 'converted', owner_id, created_at FROM customers"
    )
    op.create_table(
        "opportunities",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.String(36),
                  sa.ForeignKey("customers.id", name="fk_opportunities_customer_id_customers"), nullable=False),
        sa.Column("lead_id", sa.String(36)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(50), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("expected_close_date", sa.Date),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_by", sa.String(36)),
        sa.Column("close_reason", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_opportunities_customer_created", "opportunities", ["customer_id", "created_at"])
    op.create_index("ix_opportunities_owner_status", "opportunities", ["owner_id", "status"])


def downgrade() -> None:
    op.drop_table("opportunities")
    op.drop_table("customer_ownership_changes")
    op.execute("DELETE FROM customers WHERE owner_id IS NULL")
    with op.batch_alter_table("customers") as batch:
        for column in ("won_deals", "campaign", "industry", "region"):
            batch.drop_column(column)
        batch.alter_column("owner_id", existing_type=sa.String(36), nullable=False)
