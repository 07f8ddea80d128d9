"""Loading and saving orders, contracts, approval requests and flows; remembers the aggregates it has seen."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Select, delete, insert, select
from sqlalchemy.orm import Session

from sales.approvals import CURRENT, PENDING, ApprovalRequest, FlowStep
from sales.contracts import ACTIVE, RUNNING, SIGNED, Contract
from sales.db_orders_contracts import approval_flow_steps, approval_requests, approval_steps, contracts, orders
from sales.orders import Order


# Lists answer at most this many, newest or most pressing first.
LIST_LIMIT = 500


class _Seen:
    """get/add that remember what they returned, so the unit of work can collect the aggregates' events."""

    kind: type

    def __init__(self, session: Session):
        self.session = session
        self.seen: dict = {}

    def add(self, aggregate) -> None:
        self.session.add(aggregate)
        self.seen[aggregate.id] = aggregate

    def get(self, aggregate_id: str, for_update: bool = False):
        aggregate = self.session.get(self.kind, aggregate_id, with_for_update=for_update or None)
        if aggregate is not None:
            self.seen[aggregate.id] = aggregate
        return aggregate

    def _remember(self, aggregates) -> list:
        aggregates = list(aggregates)
        for aggregate in aggregates:
            self.seen[aggregate.id] = aggregate
        return aggregates

    def _listed(self, table, order_by: tuple, customer_ids: Select | None, **equal_to) -> list:
        """At most LIST_LIMIT rows in `order_by` order, of the customers in `customer_ids` (None: all), with
        each column named in `equal_to` equal to its value where one is given (None or "" filters nothing)."""
        query = select(self.kind).order_by(*order_by)
        if customer_ids is not None:
            query = query.where(table.c.customer_id.in_(customer_ids))
        for column, value in equal_to.items():
            if value:
                query = query.where(table.c[column] == value)
        return self._remember(self.session.scalars(query.limit(LIST_LIMIT)))


class OrderRepository(_Seen):
    kind = Order

    def list(self, customer_ids: Select | None = None, opportunity_id: str | None = None,
             customer_id: str | None = None) -> list[Order]:
        """Newest first; `customer_ids` limits to customers the viewer may see (None: every customer)."""
        return self._listed(orders, (orders.c.created_at.desc(), orders.c.id), customer_ids,
                            opportunity_id=opportunity_id, customer_id=customer_id)


class ContractRepository(_Seen):
    kind = Contract

    def list(self, customer_ids: Select | None = None, status: str | None = None,
             customer_id: str | None = None, order_id: str | None = None) -> list[Contract]:
        return self._listed(contracts, (contracts.c.created_at.desc(), contracts.c.id), customer_ids,
                            status=status, customer_id=customer_id, order_id=order_id)

    def ids_to_activate(self, today: date) -> list[str]:
        return list(self.session.scalars(
            select(contracts.c.id).where(contracts.c.status == SIGNED, contracts.c.start_date <= today)))

    def ids_to_expire(self, today: date) -> list[str]:
        return list(self.session.scalars(
            select(contracts.c.id).where(contracts.c.status == ACTIVE, contracts.c.end_date < today)))

    def ids_due_for_renewal(self, latest_end: date) -> list[str]:
        """Running contracts ending on or before `latest_end` that had no reminder yet."""
        return list(self.session.scalars(
            select(contracts.c.id).where(contracts.c.status.in_(RUNNING), contracts.c.end_date <= latest_end,
                                         contracts.c.renewal_reminded_at.is_(None))))


class ApprovalRepository(_Seen):
    kind = ApprovalRequest

    def todo(self, roles: frozenset[str], user_id: str, visible=None) -> list[ApprovalRequest]:
        """Pending requests whose current step is decided by one of `roles`, not submitted by `user_id`, matching
        `visible` (a condition on approval_requests; None: all); oldest first."""
        query = (
            select(ApprovalRequest)
            .join(approval_steps, (approval_steps.c.request_id == approval_requests.c.id)
                  & (approval_steps.c.position == approval_requests.c.current_position))
            .where(approval_requests.c.status == PENDING, approval_steps.c.status == CURRENT,
                   approval_steps.c.role.in_(sorted(roles)), approval_requests.c.submitted_by != user_id)
            .order_by(approval_requests.c.submitted_at, approval_requests.c.id)
        )
        if visible is not None:
            query = query.where(visible)
        return list(self.session.scalars(query))

    def of_subject(self, subject_kind: str, subject_id: str) -> list[ApprovalRequest]:
        return list(self.session.scalars(
            select(ApprovalRequest)
            .where(approval_requests.c.subject_kind == subject_kind, approval_requests.c.subject_id == subject_id)
            .order_by(approval_requests.c.submitted_at, approval_requests.c.id)))

    def flow(self, subject_kind: str) -> list[FlowStep]:
        rows = self.session.execute(
            select(approval_flow_steps.c.role, approval_flow_steps.c.min_amount)
            .where(approval_flow_steps.c.subject_kind == subject_kind).order_by(approval_flow_steps.c.position))
        return [FlowStep(role, Decimal(min_amount)) for role, min_amount in rows]

    def replace_flow(self, subject_kind: str, steps: list[FlowStep]) -> None:
        self.session.execute(delete(approval_flow_steps).where(approval_flow_steps.c.subject_kind == subject_kind))
        if steps:
            self.session.execute(insert(approval_flow_steps), [
                {"subject_kind": subject_kind, "position": position, "role": step.role, "min_amount": step.min_amount}
                for position, step in enumerate(steps, start=1)
            ])
