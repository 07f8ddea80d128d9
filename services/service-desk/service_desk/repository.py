"""Loading and saving tickets, their history and thread, and the known-customer replica; remembers the tickets it has seen."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Iterable

from sqlalchemy import and_, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service_desk.db import known_customers, ticket_history, ticket_messages, ticket_numbers, tickets
from service_desk.domain import HistoryEntry, KnownCustomer, Ticket, TicketMessage


@dataclass(frozen=True)
class TicketQuery:
    customer_id: str | None = None
    # Any of these statuses (None: every status; empty: none).
    statuses: tuple[str, ...] | None = None
    priority: str | None = None
    category: str | None = None
    assignee_id: str | None = None
    group_id: str | None = None
    unassigned: bool = False
    # Every one of these tags.
    tags: tuple[str, ...] = ()
    text: str | None = None
    # The owners whose customers' tickets the reader sees (None: every ticket).
    visible_to_owners: frozenset[str] | None = None
    limit: int = 50
    offset: int = 0

    def only_for_customers_of(self, owner_ids: frozenset[str]) -> "TicketQuery":
        return replace(self, visible_to_owners=frozenset(owner_ids))


def dialect_insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


class KnownCustomerRepository:
    """The replica of sales customers, written only by the handlers of `sales.customer.*` events."""

    def __init__(self, session: Session):
        self.session = session

    def get(self, customer_id: str | None) -> KnownCustomer | None:
        if customer_id is None:
            return None
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
        self.session.execute(
            dialect_insert(self.session)(known_customers)
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

    def by_number(self, number: str) -> Ticket | None:
        ticket = self.session.scalars(select(Ticket).where(tickets.c.number == number)).first()
        if ticket is not None:
            self.seen[ticket.id] = ticket
        return ticket

    def list(self, query: TicketQuery) -> tuple[list[Ticket], int]:
        t = tickets
        conditions = []
        for column, value in ((t.c.customer_id, query.customer_id), (t.c.priority, query.priority),
                              (t.c.category, query.category), (t.c.assignee_id, query.assignee_id),
                              (t.c.group_id, query.group_id)):
            if value:
                conditions.append(column == value)
        if query.statuses is not None:
            conditions.append(t.c.status.in_(query.statuses))
        if query.unassigned:
            conditions.append(t.c.assignee_id.is_(None))
        if query.tags:
            conditions.append(self._has_tags(query.tags))
        if query.text:
            pattern = "%" + query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conditions.append(or_(t.c.subject.ilike(pattern, escape="\\"), t.c.number.ilike(pattern, escape="\\"),
                                  t.c.requester_email.ilike(pattern, escape="\\")))
        if query.visible_to_owners is not None:
            # The tickets of the customers the replica says these users own (never a ticket without a customer).
            owned = select(known_customers.c.customer_id).where(
                known_customers.c.owner_id.in_(sorted(query.visible_to_owners)))
            conditions.append(t.c.customer_id.in_(owned))
        total = self.session.execute(select(func.count()).select_from(t).where(*conditions)).scalar_one()
        rows = self.session.scalars(
            select(Ticket)
            .where(*conditions)
            .order_by(t.c.opened_at.desc(), t.c.id)
            .limit(query.limit)
            .offset(query.offset)
        ).all()
        return list(rows), total

    def _has_tags(self, tags: tuple[str, ...]):
        # Tags are a JSON list: PostgreSQL tests containment, SQLite looks through the list's elements per tag.
        if self.session.get_bind().dialect.name == "postgresql":
            return tickets.c.tags.cast(postgresql.JSONB).contains(list(tags))
        return and_(*(
            text(f"EXISTS (SELECT 1 FROM json_each(tickets.tags) WHERE json_each.value = :tag_{n})")
            .bindparams(**{f"tag_{n}": tag}) for n, tag in enumerate(tags)))


class TicketNumbers:
    """Human-friendly ticket numbers, SD-<year>-000123: one counter row per year."""

    def __init__(self, session: Session):
        self.session = session

    def next(self, year: int) -> str:
        self.session.execute(dialect_insert(self.session)(ticket_numbers).values(year=year, last_number=0)
                             .on_conflict_do_nothing(index_elements=["year"]))
        # The UPDATE locks the year's row until commit: two openers never get the same number.
        number = self.session.execute(
            update(ticket_numbers).where(ticket_numbers.c.year == year)
            .values(last_number=ticket_numbers.c.last_number + 1).returning(ticket_numbers.c.last_number)
        ).scalar_one()
        return f"SD-{year}-{number:06d}"


class TicketHistoryRepository:
    """The ticket's facts, oldest first; rows are only ever added, by the unit of work's commit."""

    def __init__(self, session: Session):
        self.session = session

    def of(self, ticket_id: str) -> list[HistoryEntry]:
        rows = self.session.execute(
            select(ticket_history).where(ticket_history.c.ticket_id == ticket_id).order_by(ticket_history.c.seq)
        ).mappings()
        return [HistoryEntry(**{**row, "detail": row["detail"] or {}}) for row in rows]

    def of_tickets(self, ticket_ids: Iterable[str]) -> dict[str, list[HistoryEntry]]:
        """Several tickets' histories at once (for queues), each oldest first."""
        ids = list(ticket_ids)
        found: dict[str, list[HistoryEntry]] = {ticket_id: [] for ticket_id in ids}
        if not ids:
            return found
        rows = self.session.execute(
            select(ticket_history).where(ticket_history.c.ticket_id.in_(ids))
            .order_by(ticket_history.c.ticket_id, ticket_history.c.seq)
        ).mappings()
        for row in rows:
            found[row["ticket_id"]].append(HistoryEntry(**{**row, "detail": row["detail"] or {}}))
        return found

    def record_pending(self) -> None:
        """Write the rows every ticket in the session recorded since it was loaded (however it was loaded)."""
        in_session = {id(obj): obj for obj in (*self.session.new, *self.session.identity_map.values())
                      if isinstance(obj, Ticket)}
        self.record(in_session.values())

    def record(self, tickets_seen: Iterable[Ticket]) -> None:
        """Write the rows the tickets recorded since they were loaded, and forget them on the tickets."""
        entries = []
        for ticket in tickets_seen:
            entries.extend(ticket.new_history)
            ticket.new_history = []
        if not entries:
            return
        # The tickets' own UPDATEs go first: a writer who lost the race fails on the version, not on a seq clash.
        self.session.flush()
        self.session.execute(insert(ticket_history), [
            {"ticket_id": e.ticket_id, "seq": e.seq, "at": e.at, "kind": e.kind, "actor_id": e.actor_id,
             "from_status": e.from_status, "to_status": e.to_status, "field": e.field, "old_value": e.old_value,
             "new_value": e.new_value, "public": e.public, "rule_id": e.rule_id, "detail": e.detail}
            for e in entries
        ])


class TicketMessageRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, message: TicketMessage) -> None:
        self.session.execute(insert(ticket_messages).values(
            id=message.id, ticket_id=message.ticket_id, public=message.public, author_kind=message.author_kind,
            author_id=message.author_id, author_name=message.author_name, body=message.body,
            created_at=message.created_at))

    def of(self, ticket_id: str, *, public_only: bool) -> list[TicketMessage]:
        conditions = [ticket_messages.c.ticket_id == ticket_id]
        if public_only:
            conditions.append(ticket_messages.c.public.is_(True))
        rows = self.session.execute(
            select(ticket_messages).where(*conditions).order_by(ticket_messages.c.created_at, ticket_messages.c.id)
        ).mappings()
        return [TicketMessage(**row) for row in rows]
