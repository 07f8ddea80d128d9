"""Contract amendments (a partial refund reduces a contract's amount), the contract's journal of events, and what a
refund links to: the amount it amended the contract to, the amendment, the installments it adjusted.

Revision ID: 0008
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

# NUMERIC(18, 2) on PostgreSQL; the decimal's text on SQLite, whose NUMERIC is a float.
MONEY = sa.Numeric(18, 2).with_variant(sa.String(40), "sqlite")
WHEN = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "contract_amendments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("contract_id", sa.String(36),
                  sa.ForeignKey("contracts.id", name="fk_contract_amendments_contract_id_contracts"), nullable=False),
        sa.Column("amount_before", MONEY, nullable=False),
        sa.Column("amount_after", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("amended_by", sa.String(36), nullable=False),
        sa.Column("amended_at", WHEN, nullable=False),
        sa.Column("refund_id", sa.String(36)),
    )
    op.create_index("ix_contract_amendments_contract", "contract_amendments", ["contract_id", "amended_at"])
    op.create_table(
        "contract_journal",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("contract_id", sa.String(36), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_name", sa.String(100), nullable=False),
        sa.Column("occurred_at", WHEN, nullable=False),
        sa.Column("actor_id", sa.String(100)),
        sa.Column("record_kind", sa.String(30), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("caused_by_kind", sa.String(30)),
        sa.Column("caused_by_id", sa.String(36)),
        sa.Column("details", sa.JSON, nullable=False),
        sa.UniqueConstraint("event_id", name="uq_contract_journal_event"),
    )
    op.create_index("ix_contract_journal_contract", "contract_journal", ["contract_id", "id"])
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("amended_amount", MONEY))
        batch.add_column(sa.Column("amendment_id", sa.String(36)))
        batch.add_column(sa.Column("adjusted_installment_ids", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("adjusted_installment_ids")
        batch.drop_column("amendment_id")
        batch.drop_column("amended_amount")
    op.drop_table("contract_journal")
    op.drop_table("contract_amendments")
