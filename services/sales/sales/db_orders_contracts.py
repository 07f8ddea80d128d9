"""Tables of orders, contracts and approvals (same metadata as sales/db.py) and their mapping to the domain."""
from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import relationship

from crm_shared.db import BigId, ExactDecimal, UtcDateTime
from sales.approvals import ApprovalEntry, ApprovalRequest, ApprovalStep
from sales.contracts import Contract, ContractAmendment
from sales.db import customers, mapper_registry, metadata, opportunities
from sales.orders import Order, OrderLine

orders = Table(
    "orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("opportunity_id", String(36), ForeignKey(opportunities.c.id), nullable=False),
    Column("customer_id", String(36), ForeignKey(customers.c.id), nullable=False),
    Column("owner_id", String(36), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),
    Column("tax_rate", ExactDecimal(), nullable=False),
    Column("discount_percent", ExactDecimal()),
    Column("discount_amount", ExactDecimal()),
    Column("subtotal", ExactDecimal(), nullable=False),
    Column("discount", ExactDecimal(), nullable=False),
    Column("tax", ExactDecimal(), nullable=False),
    Column("total", ExactDecimal(), nullable=False),
    Column("live_contracts", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("cancelled_at", UtcDateTime()),
    Column("cancelled_by", String(36)),
    Column("cancel_reason", Text),
    Column("version", Integer, nullable=False),
    Index("ix_orders_customer_created", "customer_id", "created_at"),
    Index("ix_orders_opportunity", "opportunity_id"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", String(36), ForeignKey(orders.c.id), nullable=False),
    Column("position", Integer, nullable=False),
    Column("sku", String(100), nullable=False),
    Column("description", String(500), nullable=False),
    Column("quantity", ExactDecimal(), nullable=False),
    Column("unit_price", ExactDecimal(), nullable=False),
    Column("discount_percent", ExactDecimal()),
    Column("discount_amount", ExactDecimal()),
    Column("line_discount", ExactDecimal(), nullable=False),
    Column("line_total", ExactDecimal(), nullable=False),
    PrimaryKeyConstraint("order_id", "position"),
)

contracts = Table(
    "contracts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(36), ForeignKey(orders.c.id), nullable=False),
    Column("customer_id", String(36), ForeignKey(customers.c.id), nullable=False),
    Column("owner_id", String(36), nullable=False),
    Column("title", String(200), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("approval_request_id", String(36)),
    Column("last_approval_outcome", String(20)),
    Column("signed_on", Date),
    Column("signatories", JSON),
    Column("file_id", String(36)),
    Column("file_name", String(255)),
    Column("file_type", String(100)),
    Column("file_size", Integer),
    Column("signed_by", String(36)),
    Column("renewal_reminded_at", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("voided_at", UtcDateTime()),
    Column("voided_by", String(36)),
    Column("void_reason", Text),
    Column("version", Integer, nullable=False),
    Index("ix_contracts_customer_created", "customer_id", "created_at"),
    Index("ix_contracts_order", "order_id"),
    # The timed job looks for signed and active contracts by their dates.
    Index("ix_contracts_status_end", "status", "end_date"),
)

contract_amendments = Table(
    "contract_amendments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("contract_id", String(36), ForeignKey(contracts.c.id), nullable=False),
    Column("amount_before", ExactDecimal(), nullable=False),
    Column("amount_after", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", Text, nullable=False),
    Column("amended_by", String(36), nullable=False),
    Column("amended_at", UtcDateTime(), nullable=False),
    Column("refund_id", String(36)),
    Index("ix_contract_amendments_contract", "contract_id", "amended_at"),
)

# Every event about a contract, kept with it in the same transaction: its history, newest last.
contract_journal = Table(
    "contract_journal",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("contract_id", String(36), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("event_name", String(100), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("actor_id", String(100)),
    # The record the change is about (the contract, a payment, an invoice, a refund, ...).
    Column("record_kind", String(30), nullable=False),
    Column("record_id", String(36), nullable=False),
    # What made it happen, when another record did (the refund that voided or amended the contract, ...).
    Column("caused_by_kind", String(30)),
    Column("caused_by_id", String(36)),
    Column("details", JSON, nullable=False),
    UniqueConstraint("event_id", name="uq_contract_journal_event"),
    Index("ix_contract_journal_contract", "contract_id", "id"),
)

approval_flow_steps = Table(
    "approval_flow_steps",
    metadata,
    Column("subject_kind", String(30), nullable=False),
    Column("position", Integer, nullable=False),
    Column("role", String(30), nullable=False),
    Column("min_amount", ExactDecimal(), nullable=False),
    PrimaryKeyConstraint("subject_kind", "position"),
)

approval_requests = Table(
    "approval_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("subject_kind", String(30), nullable=False),
    Column("subject_id", String(36), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("submitted_by", String(36), nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("status", String(20), nullable=False),
    Column("current_position", Integer, nullable=False),
    # "<kind>:<id>" while pending, else null: one pending request per subject, whoever submits.
    Column("pending_subject", String(80)),
    Column("decided_at", UtcDateTime()),
    Column("version", Integer, nullable=False),
    UniqueConstraint("pending_subject", name="uq_approval_requests_pending_subject"),
    Index("ix_approval_requests_subject", "subject_kind", "subject_id"),
    Index("ix_approval_requests_status", "status", "submitted_at"),
)

approval_steps = Table(
    "approval_steps",
    metadata,
    Column("request_id", String(36), ForeignKey(approval_requests.c.id), nullable=False),
    Column("position", Integer, nullable=False),
    Column("role", String(30), nullable=False),
    Column("min_amount", ExactDecimal(), nullable=False),
    Column("status", String(20), nullable=False),
    PrimaryKeyConstraint("request_id", "position"),
    Index("ix_approval_steps_role_status", "role", "status"),
)

approval_trail = Table(
    "approval_trail",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("request_id", String(36), ForeignKey(approval_requests.c.id), nullable=False),
    Column("step_position", Integer, nullable=False),
    Column("actor_id", String(36), nullable=False),
    Column("decision", String(20), nullable=False),
    Column("comment", Text),
    Column("at", UtcDateTime(), nullable=False),
    # Exactly one decision per step (step 0 is the submission), whatever races the version check misses.
    UniqueConstraint("request_id", "step_position", name="uq_approval_trail_request_step"),
)


def start_order_contract_mappers() -> None:
    """Map orders, contracts and approval requests once per process; their version columns guard races."""
    if getattr(Order, "__mapper__", None) is not None:
        return
    mapper_registry.map_imperatively(OrderLine, order_lines)
    mapper_registry.map_imperatively(
        Order, orders, version_id_col=orders.c.version, exclude_properties=["events"],
        properties={"lines": relationship(OrderLine, order_by=order_lines.c.position, lazy="selectin",
                                          cascade="all, delete-orphan")},
    )
    mapper_registry.map_imperatively(
        Contract, contracts, version_id_col=contracts.c.version, exclude_properties=["events"])
    mapper_registry.map_imperatively(ContractAmendment, contract_amendments)
    mapper_registry.map_imperatively(ApprovalStep, approval_steps)
    mapper_registry.map_imperatively(ApprovalEntry, approval_trail)
    mapper_registry.map_imperatively(
        ApprovalRequest, approval_requests, version_id_col=approval_requests.c.version,
        properties={
            "steps": relationship(ApprovalStep, order_by=approval_steps.c.position, lazy="selectin",
                                  cascade="all, delete-orphan"),
            "trail": relationship(ApprovalEntry, order_by=(approval_trail.c.step_position, approval_trail.c.id),
                                  lazy="selectin", cascade="all, delete-orphan"),
        },
    )
    event.listen(Order, "load", _fresh_event_list)
    event.listen(Contract, "load", _fresh_event_list)


def _fresh_event_list(aggregate, _context) -> None:
    aggregate.events = []
