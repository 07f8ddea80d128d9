"""Loading and saving customers, opportunities and ownership history; remembers the aggregates it has seen."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from sales.db import customer_ownership_changes, customers, opportunities
from sales.domain import Customer, OwnershipChange
from sales.opportunities import WON, Opportunity


@dataclass(frozen=True)
class CustomerQuery:
    lead_id: str | None = None
    owner_id: str | None = None
    # Owned by any of these users (a team's members): a list or a subquery of user ids.
    owner_ids: Any = None
    level: str | None = None
    # The viewer's visibility condition (sales.permissions); None when they see every customer.
    visible: Any = None
    limit: int = 50
    offset: int = 0

    def visible_as(self, condition) -> "CustomerQuery":
        return replace(self, visible=condition)


class CustomerRepository:
    def __init__(self, session: Session):
        self.session = session
        self.seen: dict[str, Customer] = {}

    def add(self, customer: Customer) -> None:
        self.session.add(customer)
        self.seen[customer.id] = customer

    def get(self, customer_id: str) -> Customer | None:
        customer = self.session.get(Customer, customer_id)
        if customer is not None:
            self.seen[customer.id] = customer
        return customer

    def get_by_lead(self, lead_id: str) -> Customer | None:
        customer = self.session.scalars(select(Customer).where(customers.c.lead_id == lead_id)).first()
        if customer is not None:
            self.seen[customer.id] = customer
        return customer

    def list(self, query: CustomerQuery) -> tuple[list[Customer], int]:
        conditions = []
        if query.lead_id:
            conditions.append(customers.c.lead_id == query.lead_id)
        if query.owner_id:
            conditions.append(customers.c.owner_id == query.owner_id)
        if query.owner_ids is not None:
            conditions.append(customers.c.owner_id.in_(query.owner_ids))
        if query.level:
            conditions.append(customers.c.level == query.level)
        if query.visible is not None:
            conditions.append(query.visible)
        total = self.session.execute(select(func.count()).select_from(customers).where(*conditions)).scalar_one()
        rows = self.session.scalars(
            select(Customer)
            .where(*conditions)
            .order_by(customers.c.created_at.desc(), customers.c.id)
            .limit(query.limit)
            .offset(query.offset)
        ).all()
        return list(rows), total


class OpportunityRepository:
    def __init__(self, session: Session):
        self.session = session
        self.seen: dict[str, Opportunity] = {}

    def add(self, opportunity: Opportunity) -> None:
        self.session.add(opportunity)
        self.seen[opportunity.id] = opportunity

    def get(self, opportunity_id: str) -> Opportunity | None:
        opportunity = self.session.get(Opportunity, opportunity_id)
        if opportunity is not None:
            self.seen[opportunity.id] = opportunity
        return opportunity

    def of_customer(self, customer_id: str) -> list[Opportunity]:
        """The customer's opportunities, newest first."""
        return list(self.session.scalars(
            select(Opportunity).where(opportunities.c.customer_id == customer_id)
            .order_by(opportunities.c.created_at.desc(), opportunities.c.id)
        ))

    def won_count(self, customer_id: str) -> int:
        return self.session.execute(
            select(func.count()).where(opportunities.c.customer_id == customer_id, opportunities.c.status == WON)
        ).scalar_one()


class OwnershipHistory:
    """Who owned each customer when, kept for good."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, changes: Iterable[OwnershipChange]) -> None:
        rows = [
            {"customer_id": c.customer_id, "from_owner_id": c.from_owner_id, "to_owner_id": c.to_owner_id,
             "reason": c.reason, "actor_id": c.actor_id, "at": c.at, "detail": c.detail}
            for c in changes
        ]
        if rows:
            # The rows refer to the customer: write a new customer first.
            self.session.flush()
            self.session.execute(insert(customer_ownership_changes), rows)

    def of_customer(self, customer_id: str) -> list[OwnershipChange]:
        h = customer_ownership_changes
        rows = self.session.execute(
            select(h).where(h.c.customer_id == customer_id).order_by(h.c.at, h.c.id)
        ).mappings()
        return [
            OwnershipChange(r["customer_id"], r["from_owner_id"], r["to_owner_id"], r["reason"], r["actor_id"],
                            r["at"], r["detail"])
            for r in rows
        ]
