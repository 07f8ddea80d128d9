"""A customer's timeline: one UNION ALL over sales' own records and its contracts' journal, ordered and paged in SQL."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import String, case, cast, func, literal_column, null, or_, select, union_all
from sqlalchemy.orm import Session

from crm_shared.context import SYSTEM_ACTOR
from crm_shared.db import ExactDecimal
from sales.db import customer_ownership_changes, opportunities
from sales.db_customers_pipeline import customer_team_members, opportunity_stage_changes, pipeline_stages
from sales.db_money import invoices, payments, refunds
from sales.db_orders_contracts import contract_journal, contracts, orders
from sales.db_timeline import follow_ups
from sales.deal_events import CONTRACT_AMENDED, CONTRACT_TRANSITIONS
from sales.domain import BY_CONVERSION, BY_CREATION
from sales.money_events import INVOICE_TRANSITIONS, REFUND_APPROVED, REFUND_REJECTED

# What a follow-up's entry shows of its content; the follow-up itself has the rest.
SUMMARY_CHARS = 200
COLUMNS = ("at", "kind", "actor_id", "record_type", "record_id", "title", "detail", "from_value", "to_value",
           "amount", "currency")

# The timeline's entry kind of each journal event it shows. A contract's drafting and the requests of invoices
# and refunds come from their own rows instead: every record has one, while the journal holds only the events
# since it was begun. The rest of the journal (plans, installments, payments received) stays on the contract.
CONTRACT_KINDS = {name: f"contract_{verb}" for verb, name in CONTRACT_TRANSITIONS.items()} | {
    CONTRACT_AMENDED: "contract_amended"}
INVOICE_KINDS = {name: f"invoice_{verb}" for verb, name in INVOICE_TRANSITIONS.items() if verb != "requested"}
# Applying an approved refund completes it in the same transaction: the decision is the entry.
REFUND_KINDS = {REFUND_APPROVED: "refund_decided", REFUND_REJECTED: "refund_decided"}


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a customer: when, what, who did it, which record it is about, and a summary."""

    at: datetime
    kind: str
    actor_id: str | None
    record_type: str
    record_id: str
    title: str | None = None
    detail: str | None = None
    from_value: str | None = None
    to_value: str | None = None
    amount: Decimal | None = None
    currency: str | None = None


def _constant(text: str):
    # Kinds and record types are our own constants, never user input: plain SQL literals keep the union typed.
    return literal_column(f"'{text}'", String)


def _text(value):
    return cast(null(), String) if value is None else cast(value, String)


def _kind_of(event_name, kinds: dict[str, str]):
    return case(*[(event_name == _constant(name), _constant(kind)) for name, kind in kinds.items()])


def _payload(field: str):
    """A field of the journal line's event payload, as text."""
    return contract_journal.c.details[field].as_string()


def _branch(*, at, kind, actor_id, record_type: str, record_id, title=None, detail=None, from_value=None,
            to_value=None, amount=None, currency=None, where, joins=None):
    """One part of the union: every part has the same columns, in the same order and of the same types."""
    columns = [
        at.label("at"),
        (_constant(kind) if isinstance(kind, str) else kind).label("kind"),
        _text(actor_id).label("actor_id"),
        _constant(record_type).label("record_type"),
        _text(record_id).label("record_id"),
        _text(title).label("title"),
        _text(detail).label("detail"),
        _text(from_value).label("from_value"),
        _text(to_value).label("to_value"),
        (cast(null(), ExactDecimal()) if amount is None else amount).label("amount"),
        _text(currency).label("currency"),
    ]
    statement = select(*columns)
    if joins is not None:
        statement = statement.select_from(joins)
    return statement.where(*where)


def _parts(customer_id: str) -> list:
    h, m, o, sc = customer_ownership_changes, customer_team_members, opportunities, opportunity_stage_changes
    f, j = follow_ups, contract_journal
    terminal = select(pipeline_stages.c.key).where(or_(pipeline_stages.c.is_won, pipeline_stages.c.is_lost))
    # Money is found through the customer's contracts: their indexes lead by the contract.
    of_contracts = select(contracts.c.id).where(contracts.c.customer_id == customer_id)
    # Who did it is the event's actor; what the system did (a timed job) has none.
    journal_actor = func.nullif(j.c.actor_id, SYSTEM_ACTOR)
    return [
        # The first line of the ownership history is the customer's creation (directly or from its lead).
        _branch(at=h.c.at, kind=case((h.c.reason.in_([BY_CREATION, BY_CONVERSION]), _constant("customer_created")),
                                     else_=_constant("owner_changed")),
                actor_id=h.c.actor_id, record_type="customer", record_id=h.c.customer_id, detail=h.c.reason,
                from_value=h.c.from_owner_id, to_value=h.c.to_owner_id, where=[h.c.customer_id == customer_id]),
        _branch(at=m.c.added_at, kind="team_member_added", actor_id=m.c.added_by, record_type="team_member",
                record_id=m.c.user_id, detail=m.c.access, to_value=m.c.user_id, where=[m.c.customer_id == customer_id]),
        _branch(at=o.c.created_at, kind="opportunity_opened", actor_id=o.c.created_by, record_type="opportunity",
                record_id=o.c.id, title=o.c.name, detail=o.c.source, amount=o.c.amount, currency=o.c.currency,
                where=[o.c.customer_id == customer_id]),
        # Moves between open stages; the move into the won or lost stage is the closing entry below.
        _branch(at=sc.c.at, kind="opportunity_stage_changed", actor_id=sc.c.actor_id, record_type="opportunity",
                record_id=o.c.id, title=o.c.name, from_value=sc.c.from_stage, to_value=sc.c.to_stage,
                joins=sc.join(o, o.c.id == sc.c.opportunity_id),
                where=[o.c.customer_id == customer_id, sc.c.from_stage.is_not(None), sc.c.to_stage.not_in(terminal)]),
        _branch(at=o.c.closed_at, kind=case((o.c.status == "won", _constant("opportunity_won")),
                                            else_=_constant("opportunity_lost")),
                actor_id=o.c.closed_by, record_type="opportunity", record_id=o.c.id, title=o.c.name,
                detail=o.c.close_reason, amount=o.c.amount, currency=o.c.currency,
                where=[o.c.customer_id == customer_id, o.c.closed_at.is_not(None)]),
        _branch(at=f.c.recorded_at, kind="follow_up", actor_id=f.c.author_id, record_type="follow_up",
                record_id=f.c.id, title=f.c.kind, detail=func.substr(f.c.content, 1, SUMMARY_CHARS),
                to_value=f.c.opportunity_id, where=[f.c.customer_id == customer_id]),
        _branch(at=orders.c.created_at, kind="order_placed", actor_id=orders.c.created_by, record_type="order",
                record_id=orders.c.id, to_value=orders.c.status, amount=orders.c.total, currency=orders.c.currency,
                where=[orders.c.customer_id == customer_id]),
        _branch(at=orders.c.cancelled_at, kind="order_cancelled", actor_id=orders.c.cancelled_by, record_type="order",
                record_id=orders.c.id, detail=orders.c.cancel_reason, amount=orders.c.total,
                currency=orders.c.currency, where=[orders.c.customer_id == customer_id,
                                                   orders.c.cancelled_at.is_not(None)]),
        _branch(at=contracts.c.created_at, kind="contract_drafted", actor_id=contracts.c.created_by,
                record_type="contract", record_id=contracts.c.id, title=contracts.c.title,
                amount=contracts.c.amount, currency=contracts.c.currency,
                where=[contracts.c.customer_id == customer_id]),
        # Each later state, and each amendment (its amount the one after), from the contract's journal.
        _branch(at=j.c.occurred_at, kind=_kind_of(j.c.event_name, CONTRACT_KINDS), actor_id=journal_actor,
                record_type="contract", record_id=j.c.contract_id, title=contracts.c.title,
                detail=func.coalesce(_payload("comment"), _payload("reason")), from_value=_payload("previous_status"),
                to_value=_payload("status"), amount=cast(_payload("amount_after"), ExactDecimal()),
                currency=contracts.c.currency, joins=j.join(contracts, contracts.c.id == j.c.contract_id),
                where=[contracts.c.customer_id == customer_id, j.c.event_name.in_(CONTRACT_KINDS)]),
        _branch(at=payments.c.recorded_at, kind="payment_recorded", actor_id=payments.c.recorded_by,
                record_type="payment", record_id=payments.c.id, title=payments.c.method, to_value=payments.c.status,
                amount=payments.c.amount, currency=payments.c.currency,
                where=[payments.c.contract_id.in_(of_contracts)]),
        _branch(at=invoices.c.requested_at, kind="invoice_requested", actor_id=invoices.c.requested_by,
                record_type="invoice", record_id=invoices.c.id, title=invoices.c.title, detail=invoices.c.kind,
                to_value=invoices.c.status, amount=invoices.c.amount, currency=invoices.c.currency,
                where=[invoices.c.contract_id.in_(of_contracts)]),
        # Approved or rejected (by whom the approval's last step was decided), issued, reversed.
        _branch(at=j.c.occurred_at, kind=_kind_of(j.c.event_name, INVOICE_KINDS), actor_id=journal_actor,
                record_type="invoice", record_id=invoices.c.id, title=invoices.c.title, detail=invoices.c.kind,
                to_value=_payload("status"), amount=invoices.c.amount, currency=invoices.c.currency,
                joins=j.join(invoices, invoices.c.id == j.c.record_id),
                where=[j.c.contract_id.in_(of_contracts), j.c.event_name.in_(INVOICE_KINDS)]),
        _branch(at=refunds.c.requested_at, kind="refund_requested", actor_id=refunds.c.requested_by,
                record_type="refund", record_id=refunds.c.id, detail=refunds.c.reason, to_value=refunds.c.status,
                amount=refunds.c.amount, currency=refunds.c.currency, where=[refunds.c.contract_id.in_(of_contracts)]),
        # The approval decides a refund: its actor decided the approval's last step.
        _branch(at=j.c.occurred_at, kind=_kind_of(j.c.event_name, REFUND_KINDS), actor_id=journal_actor,
                record_type="refund", record_id=refunds.c.id, to_value=_payload("status"), amount=refunds.c.amount,
                currency=refunds.c.currency, joins=j.join(refunds, refunds.c.id == j.c.record_id),
                where=[j.c.contract_id.in_(of_contracts), j.c.event_name.in_(REFUND_KINDS)]),
    ]


class CustomerTimeline:
    """Reads a customer's timeline, newest first; the database merges, orders and pages it."""

    def __init__(self, session: Session):
        self.session = session

    def page(self, customer_id: str, limit: int, offset: int) -> tuple[list[TimelineEntry], int]:
        story = union_all(*_parts(customer_id)).subquery("timeline")
        total = self.session.execute(select(func.count()).select_from(story)).scalar_one()
        rows = self.session.execute(
            select(story)
            .order_by(story.c.at.desc(), story.c.kind, story.c.record_id)
            .limit(limit)
            .offset(offset)
        ).mappings()
        return [TimelineEntry(**{column: row[column] for column in COLUMNS}) for row in rows], total

