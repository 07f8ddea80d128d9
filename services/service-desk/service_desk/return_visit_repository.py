"""Loading and saving return visits; remembers the visits it has seen so their events are published."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service_desk.db import known_customers, return_visits
from service_desk.return_visits import ReturnVisit


@dataclass(frozen=True)
class ReturnVisitQuery:
    status: str | None = None
    assignee_id: str | None = None
    due_before: datetime | None = None
    ticket_id: str | None = None
    visible_to_owner: str | None = None
    limit: int = 50
    offset: int = 0


class ReturnVisitRepository:
    def __init__(self, session: Session):
        self.session = session
        self.seen: dict[str, ReturnVisit] = {}

    def add(self, visit: ReturnVisit) -> None:
        self.session.add(visit)
        self.seen[visit.id] = visit

    def get(self, visit_id: str) -> ReturnVisit | None:
        visit = self.session.get(ReturnVisit, visit_id)
        if visit is not None:
            self.seen[visit.id] = visit
        return visit

    def list(self, query: ReturnVisitQuery) -> tuple[list[ReturnVisit], int]:
        r = return_visits
        conditions = []
        for column, value in ((r.c.status, query.status), (r.c.assignee_id, query.assignee_id),
                              (r.c.ticket_id, query.ticket_id)):
            if value:
                conditions.append(column == value)
        if query.due_before is not None:
            conditions.append(r.c.due_at <= query.due_before)
        if query.visible_to_owner:
            owned = select(known_customers.c.customer_id).where(known_customers.c.owner_id == query.visible_to_owner)
            conditions.append(r.c.customer_id.in_(owned))
        total = self.session.execute(select(func.count()).select_from(r).where(*conditions)).scalar_one()
        rows = self.session.scalars(
            select(ReturnVisit).where(*conditions).order_by(r.c.due_at, r.c.id).limit(query.limit).offset(query.offset)
        ).all()
        return list(rows), total
