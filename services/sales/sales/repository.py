"""Loading and saving customers; remembers the aggregates it has seen so their events can be collected."""
from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sales.db import customers
from sales.domain import Customer


@dataclass(frozen=True)
class CustomerQuery:
    lead_id: str | None = None
    owner_id: str | None = None
    visible_to_owner: str | None = None
    limit: int = 50
    offset: int = 0

    def only_owned_by(self, user_id: str) -> "CustomerQuery":
        return replace(self, visible_to_owner=user_id)


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
        if query.visible_to_owner:
            conditions.append(customers.c.owner_id == query.visible_to_owner)
        total = self.session.execute(select(func.count()).select_from(customers).where(*conditions)).scalar_one()
        rows = self.session.scalars(
            select(Customer)
            .where(*conditions)
            .order_by(customers.c.created_at.desc(), customers.c.id)
            .limit(query.limit)
            .offset(query.offset)
        ).all()
        return list(rows), total
