"""Loading and saving tickets and the known-customer replica; remembers the tickets it has seen."""
from __future__ import annotations

from dataclasses import dataclass, replace

from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service_desk.db import known_customers, tickets
from service_desk.domain import KnownCustomer, Ticket


@dataclass(frozen=True)
class TicketQuery:
    customer_id: str | None = None
    status: str | None = None
    visible_to_owner: str | None = None
    limit: int = 50
    offset: int = 0

    def only_for_customers_of(self, owner_id: str) -> "TicketQuery":
        return replace(self, visible_to_owner=owner_id)


class KnownCustomerRepository:
    """The replica of sales customers, written only by the handlers of `sales.customer.*` events."""

    def __init__(self, session: Session):
        self.session = session

    def get(self, customer_id: str) -> KnownCustomer | None:
        row = self.session.execute(
            select(known_customers).where(known_customers.c.customer_id == customer_id)
        ).mappings().first()
        if row is None:
            return None
        return KnownCustomer(row["customer_id"], row["owner_id"], row["channel"], row["name"])

    def change_owner(self, customer_id: str, owner_id: str | None, at: datetime) -> None:
        """Take the owner sales reported at `at`, unless a later change was applied already (events may cross)."""
        k = known_customers
        self.session.execute(
            update(k).where(k.c.customer_id == customer_id, or_(k.c.owner_since.is_(None), k.c.owner_since < at))
            .values(owner_id=owner_id, owner_since=at)
        )

    def remember(self, customer: KnownCustomer) -> None:
        """Add the customer unless already known (the same fact may arrive under two event ids)."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self.session.execute(
            insert(known_customers)
            .values(
                customer_id=customer.customer_id,
                owner_id=customer.owner_id,
                channel=customer.channel,
                name=customer.name,
            )
            .on_conflict_do_nothing(index_elements=["customer_id"])
        )


class TicketRepository:
    def __init__(self, session: Session):
        self.session = session
        self.seen: dict[str, Ticket] = {}

    def add(self, ticket: Ticket) -> None:
        self.session.add(ticket)
        self.seen[ticket.id] = ticket

    def get(self, ticket_id: str) -> Ticket | None:
        ticket = self.session.get(Ticket, ticket_id)
        if ticket is not None:
            self.seen[ticket.id] = ticket
        return ticket

    def list(self, query: TicketQuery) -> tuple[list[Ticket], int]:
        conditions = []
        if query.customer_id:
            conditions.append(tickets.c.customer_id == query.customer_id)
        if query.status:
            conditions.append(tickets.c.status == query.status)
        if query.visible_to_owner:
            # A rep sees the tickets of the customers the replica says they own.
            owned = select(known_customers.c.customer_id).where(known_customers.c.owner_id == query.visible_to_owner)
            conditions.append(tickets.c.customer_id.in_(owned))
        total = self.session.execute(select(func.count()).select_from(tickets).where(*conditions)).scalar_one()
        rows = self.session.scalars(
            select(Ticket)
            .where(*conditions)
            .order_by(tickets.c.opened_at.desc(), tickets.c.id)
            .limit(query.limit)
            .offset(query.offset)
        ).all()
        return list(rows), total
