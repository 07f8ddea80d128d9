"""Tables of installments, payments and invoices (same metadata as sales/db.py) and their mapping to the domain."""
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)

from crm_shared.db import ExactDecimal, UtcDateTime
from sales.db import customers, mapper_registry, metadata

# Contracts are named, not imported: sales.db imports this module while sales.db_orders_contracts loads.
CONTRACT_ID = "contracts.id"
from sales.invoices import Invoice
from sales.payments import Installment, Payment
from sales.refunds import Refund

installments = Table(
    "installments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("contract_id", String(36), ForeignKey(CONTRACT_ID), nullable=False),
    Column("customer_id", String(36), ForeignKey(customers.c.id), nullable=False),
    Column("number", Integer, nullable=False),
    Column("planned_amount", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("planned_date", Date, nullable=False),
    Column("method", String(50), nullable=False),
    Column("remind_days_before", Integer, nullable=False),
    Column("remind_on", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("paid_amount", ExactDecimal(), nullable=False),
    Column("reserved_amount", ExactDecimal(), nullable=False),
    Column("reminded_at", UtcDateTime()),
    Column("overdue_at", UtcDateTime()),
    Column("voided_at", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_installments_contract_number", "contract_id", "number"),
    # The timed job looks for open installments by their dates.
    Index("ix_installments_status_planned", "status", "planned_date"),
    Index("ix_installments_status_remind", "status", "remind_on"),
)

payments = Table(
    "payments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("contract_id", String(36), ForeignKey(CONTRACT_ID), nullable=False),
    Column("customer_id", String(36), ForeignKey(customers.c.id), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("method", String(50), nullable=False),
    Column("reference", String(200)),
    Column("status", String(20), nullable=False),
    Column("allocations", JSON, nullable=False),
    Column("approval_request_id", String(36)),
    Column("recorded_by", String(36), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("decided_at", UtcDateTime()),
    Column("refund_id", String(36)),
    Column("version", Integer, nullable=False),
    Index("ix_payments_contract_recorded", "contract_id", "recorded_at"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("contract_id", String(36), ForeignKey(CONTRACT_ID), nullable=False),
    Column("customer_id", String(36), ForeignKey(customers.c.id), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("title_type", String(20), nullable=False),
    Column("title", String(200), nullable=False),
    Column("tax_id", String(50)),
    Column("bank", String(200)),
    Column("bank_account", String(50)),
    Column("address", String(300)),
    Column("amount", ExactDecimal(), nullable=False),
    Column("tax_rate", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),
    Column("invoice_number", String(50)),
    Column("issued_on", Date),
    Column("issued_by", String(36)),
    Column("reverses_invoice_id", String(36)),
    Column("reversed_by_invoice_id", String(36)),
    Column("reason", Text),
    Column("refund_id", String(36)),
    Column("reversal_due", Boolean, nullable=False),
    Column("approval_request_id", String(36)),
    Column("requested_by", String(36), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    # An invoice number is issued once, whichever invoice or red-letter invoice carries it.
    UniqueConstraint("invoice_number", name="uq_invoices_invoice_number"),
    Index("ix_invoices_contract_requested", "contract_id", "requested_at"),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("contract_id", String(36), ForeignKey(CONTRACT_ID), nullable=False),
    Column("customer_id", String(36), ForeignKey(customers.c.id), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("refunded_on", Date, nullable=False),
    Column("requested_by", String(36), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("approval_request_id", String(36)),
    Column("decided_at", UtcDateTime()),
    Column("payment_id", String(36)),
    Column("voided_installment_ids", JSON),
    Column("withdrawn_invoice_ids", JSON),
    Column("invoices_to_reverse", JSON),
    Column("version", Integer, nullable=False),
    Column("amended_amount", ExactDecimal()),
    Column("amendment_id", String(36)),
    Column("adjusted_installment_ids", JSON),
    Index("ix_refunds_contract_requested", "contract_id", "requested_at"),
)


def start_money_mappers() -> None:
    """Map installments, payments and invoices once per process; their version columns guard races."""
    if getattr(Installment, "__mapper__", None) is not None:
        return
    for kind, table in ((Installment, installments), (Payment, payments), (Invoice, invoices),
                        (Refund, refunds)):
        mapper_registry.map_imperatively(kind, table, version_id_col=table.c.version, exclude_properties=["events"])
        event.listen(kind, "load", _fresh_event_list)


def _fresh_event_list(aggregate, _context) -> None:
    aggregate.events = []
