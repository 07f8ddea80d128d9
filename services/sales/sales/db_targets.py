"""Tables of departments, sales targets and sales expenses (same metadata as sales/db.py) and their mapping."""
from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, event

from crm_shared.db import ExactDecimal, UtcDateTime
from sales.db import customers, mapper_registry, metadata, opportunities
from sales.expenses import Expense
from sales.targets import Target

# A department is a named set of teams; the directory has teams but no departments, so sales keeps them.
departments = Table(
    "departments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("updated_at", UtcDateTime()),
    Column("updated_by", String(36)),
    Column("version", Integer, nullable=False),
    UniqueConstraint("name", name="uq_departments_name"),
)

department_teams = Table(
    "department_teams",
    metadata,
    # A team belongs to one department at most, so a department's figures never count a team twice.
    Column("team_id", String(36), primary_key=True),
    Column("department_id", String(36), ForeignKey(departments.c.id), nullable=False),
    Index("ix_department_teams_department", "department_id"),
)

sales_targets = Table(
    "sales_targets",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("subject_kind", String(20), nullable=False),
    Column("subject_id", String(36), nullable=False),
    # As written (2026-11, 2026-Q4, 2026), with its first day and the first day after it.
    Column("period", String(7), nullable=False),
    Column("period_kind", String(10), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("metric", String(30), nullable=False),
    Column("value", ExactDecimal(), nullable=False),
    Column("currency", String(3)),
    Column("set_by", String(36), nullable=False),
    Column("set_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("subject_kind", "subject_id", "period", "metric", name="uq_sales_targets_subject_period_metric"),
    Index("ix_sales_targets_period", "period", "subject_kind"),
)

sales_expenses = Table(
    "sales_expenses",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("rep_id", String(36), nullable=False),
    Column("spent_on", Date, nullable=False),
    Column("category", String(30), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("customer_id", String(36), ForeignKey(customers.c.id)),
    Column("opportunity_id", String(36), ForeignKey(opportunities.c.id)),
    Column("note", Text),
    Column("status", String(20), nullable=False),
    Column("recorded_by", String(36), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("decided_by", String(36)),
    Column("decided_at", UtcDateTime()),
    Column("decision_note", Text),
    Column("version", Integer, nullable=False),
    Index("ix_sales_expenses_rep_spent", "rep_id", "spent_on"),
    Index("ix_sales_expenses_status_spent", "status", "spent_on"),
)


def start_target_mappers() -> None:
    """Map targets and expenses once per process; their version columns guard concurrent edits."""
    if getattr(Target, "__mapper__", None) is not None:
        return
    for kind, table in ((Target, sales_targets), (Expense, sales_expenses)):
        mapper_registry.map_imperatively(kind, table, version_id_col=table.c.version, exclude_properties=["events"])
        event.listen(kind, "load", _fresh_event_list)


def _fresh_event_list(aggregate, _context) -> None:
    aggregate.events = []
