"""Orders and their lines, contracts, and the approval engine's flows, requests, steps and trail.

Revision ID: 0004
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

TRAIL_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# NUMERIC(18, 2) on PostgreSQL; the decimal's text on SQLite, whose NUMERIC is a float.
MONEY = sa.Numeric(18, 2).with_variant(sa.String(40), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{referred}.id", name=f"fk_{table}_{column}_{referred}")


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("opportunity_id", sa.String(36), _fk("orders", "opportunity_id", "opportunities"), nullable=False),
        sa.Column("customer_id", sa.String(36), _fk("orders", "customer_id", "customers"), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("tax_rate", MONEY, nullable=False),
        sa.Column("discount_percent", MONEY),
        sa.Column("discount_amount", MONEY),
        sa.Column("subtotal", MONEY, nullable=False),
        sa.Column("discount", MONEY, nullable=False),
        sa.Column("tax", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("live_contracts", sa.Integer, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("cancelled_at", WHEN),
        sa.Column("cancelled_by", sa.String(36)),
        sa.Column("cancel_reason", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_orders_customer_created", "orders", ["customer_id", "created_at"])
    op.create_index("ix_orders_opportunity", "orders", ["opportunity_id"])
    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.String(36), _fk("order_lines", "order_id", "orders"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("sku", sa.String(100), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("quantity", MONEY, nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("discount_percent", MONEY),
        sa.Column("discount_amount", MONEY),
        sa.Column("line_discount", MONEY, nullable=False),
        sa.Column("line_total", MONEY, nullable=False),
        sa.PrimaryKeyConstraint("order_id", "position", name="pk_order_lines"),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("order_id", sa.String(36), _fk("contracts", "order_id", "orders"), nullable=False),
        sa.Column("customer_id", sa.String(36), _fk("contracts", "customer_id", "customers"), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("approval_request_id", sa.String(36)),
        sa.Column("last_approval_outcome", sa.String(20)),
        sa.Column("signed_on", sa.Date),
        sa.Column("signatories", sa.JSON),
        sa.Column("file_id", sa.String(36)),
        sa.Column("file_name", sa.String(255)),
        sa.Column("file_type", sa.String(100)),
        sa.Column("file_size", sa.Integer),
        sa.Column("signed_by", sa.String(36)),
        sa.Column("renewal_reminded_at", WHEN),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("voided_at", WHEN),
        sa.Column("voided_by", sa.String(36)),
        sa.Column("void_reason", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_contracts_customer_created", "contracts", ["customer_id", "created_at"])
    op.create_index("ix_contracts_order", "contracts", ["order_id"])
    op.create_index("ix_contracts_status_end", "contracts", ["status", "end_date"])
    flow_steps = op.create_table(
        "approval_flow_steps",
        sa.Column("subject_kind", sa.String(30), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("min_amount", MONEY, nullable=False),
        sa.PrimaryKeyConstraint("subject_kind", "position", name="pk_approval_flow_steps"),
    )
    # The flow a fresh installation starts with (sales.approvals.DEFAULT_FLOWS): a sales manager approves
    # every contract, an administrator too from 100,000.
    op.bulk_insert(flow_steps, [
        {"subject_kind": "contract", "position": 1, "role": "sales_manager", "min_amount": "0.00"},
        {"subject_kind": "contract", "position": 2, "role": "admin", "min_amount": "100000.00"},
    ])
    op.create_table(
        "approval_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("subject_kind", sa.String(30), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("submitted_by", sa.String(36), nullable=False),
        sa.Column("submitted_at", WHEN, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("current_position", sa.Integer, nullable=False),
        sa.Column("pending_subject", sa.String(80)),
        sa.Column("decided_at", WHEN),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("pending_subject", name="uq_approval_requests_pending_subject"),
    )
    op.create_index("ix_approval_requests_subject", "approval_requests", ["subject_kind", "subject_id"])
    op.create_index("ix_approval_requests_status", "approval_requests", ["status", "submitted_at"])
    op.create_table(
        "approval_steps",
        sa.Column("request_id", sa.String(36), _fk("approval_steps", "request_id", "approval_requests"),
                  nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("min_amount", MONEY, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("request_id", "position", name="pk_approval_steps"),
    )
    op.create_index("ix_approval_steps_role_status", "approval_steps", ["role", "status"])
    op.create_table(
        "approval_trail",
        sa.Column("id", TRAIL_ID, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(36), _fk("approval_trail", "request_id", "approval_requests"),
                  nullable=False),
        sa.Column("step_position", sa.Integer, nullable=False),
        sa.Column("actor_id", sa.String(36), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("at", WHEN, nullable=False),
        sa.UniqueConstraint("request_id", "step_position", name="uq_approval_trail_request_step"),
    )


def downgrade() -> None:
    for table in ("approval_trail", "approval_steps", "approval_requests", "approval_flow_steps", "contracts",
                  "order_lines", "orders"):
        op.drop_table(table)
