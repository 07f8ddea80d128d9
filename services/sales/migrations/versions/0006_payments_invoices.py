"""Payment plans' installments, received payments, invoices and refunds; their approval flows.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# NUMERIC(18, 2) on PostgreSQL; the decimal's text on SQLite, whose NUMERIC is a float.
MONEY = sa.Numeric(18, 2).with_variant(sa.String(40), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{referred}.id", name=f"fk_{table}_{column}_{referred}")


def upgrade() -> None:
    op.create_table(
        "installments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("contract_id", sa.String(36), _fk("installments", "contract_id", "contracts"), nullable=False),
        sa.Column("customer_id", sa.String(36), _fk("installments", "customer_id", "customers"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("planned_amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("planned_date", sa.Date, nullable=False),
        sa.Column("method", sa.String(50), nullable=False),
        sa.Column("remind_days_before", sa.Integer, nullable=False),
        sa.Column("remind_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("paid_amount", MONEY, nullable=False),
        sa.Column("reserved_amount", MONEY, nullable=False),
        sa.Column("reminded_at", WHEN),
        sa.Column("overdue_at", WHEN),
        sa.Column("voided_at", WHEN),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_installments_contract_number", "installments", ["contract_id", "number"])
    op.create_index("ix_installments_status_planned", "installments", ["status", "planned_date"])
    op.create_index("ix_installments_status_remind", "installments", ["status", "remind_on"])
    op.create_table(
        "payments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("contract_id", sa.String(36), _fk("payments", "contract_id", "contracts"), nullable=False),
        sa.Column("customer_id", sa.String(36), _fk("payments", "customer_id", "customers"), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("method", sa.String(50), nullable=False),
        sa.Column("reference", sa.String(200)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("allocations", sa.JSON, nullable=False),
        sa.Column("approval_request_id", sa.String(36)),
        sa.Column("recorded_by", sa.String(36), nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.Column("decided_at", WHEN),
        sa.Column("refund_id", sa.String(36)),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_payments_contract_recorded", "payments", ["contract_id", "recorded_at"])
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("contract_id", sa.String(36), _fk("invoices", "contract_id", "contracts"), nullable=False),
        sa.Column("customer_id", sa.String(36), _fk("invoices", "customer_id", "customers"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title_type", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("tax_id", sa.String(50)),
        sa.Column("bank", sa.String(200)),
        sa.Column("bank_account", sa.String(50)),
        sa.Column("address", sa.String(300)),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("tax_rate", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("invoice_number", sa.String(50)),
        sa.Column("issued_on", sa.Date),
        sa.Column("issued_by", sa.String(36)),
        sa.Column("reverses_invoice_id", sa.String(36)),
        sa.Column("reversed_by_invoice_id", sa.String(36)),
        sa.Column("reason", sa.Text),
        sa.Column("refund_id", sa.String(36)),
        sa.Column("reversal_due", sa.Boolean, nullable=False),
        sa.Column("approval_request_id", sa.String(36)),
        sa.Column("requested_by", sa.String(36), nullable=False),
        sa.Column("requested_at", WHEN, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("invoice_number", name="uq_invoices_invoice_number"),
    )
    op.create_index("ix_invoices_contract_requested", "invoices", ["contract_id", "requested_at"])
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("contract_id", sa.String(36), _fk("refunds", "contract_id", "contracts"), nullable=False),
        sa.Column("customer_id", sa.String(36), _fk("refunds", "customer_id", "customers"), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("refunded_on", sa.Date, nullable=False),
        sa.Column("requested_by", sa.String(36), nullable=False),
        sa.Column("requested_at", WHEN, nullable=False),
        sa.Column("approval_request_id", sa.String(36)),
        sa.Column("decided_at", WHEN),
        sa.Column("payment_id", sa.String(36)),
        sa.Column("voided_installment_ids", sa.JSON),
        sa.Column("withdrawn_invoice_ids", sa.JSON),
        sa.Column("invoices_to_reverse", sa.JSON),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_refunds_contract_requested", "refunds", ["contract_id", "requested_at"])
    # A sales manager approves every invoice request and refund (sales.approvals.DEFAULT_FLOWS). Payments have no flow
    # at first: they count at once until an administrator configures one.
    flow_steps = sa.table("approval_flow_steps", sa.column("subject_kind", sa.String),
                          sa.column("position", sa.Integer), sa.column("role", sa.String),
                          sa.column("min_amount", MONEY))
    op.bulk_insert(flow_steps, [
        {"subject_kind": "invoice", "position": 1, "role": "sales_manager", "min_amount": "0.00"},
        {"subject_kind": "refund", "position": 1, "role": "sales_manager", "min_amount": "0.00"},
    ])


def downgrade() -> None:
    op.execute("DELETE FROM approval_flow_steps WHERE subject_kind IN ('invoice', 'refund')")
    for table in ("refunds", "invoices", "payments", "installments"):
        op.drop_table(table)
