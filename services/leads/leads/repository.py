"""Loading and saving leads; remembers the aggregates it has seen so their events can be collected."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leads.db import leads
from leads.domain import Lead


@dataclass(frozen=True)
class LeadQuery:
    status: str | None = None
    owner_id: str | None = None
    channel: str | None = None
    visible_to_owner: str | None = None
    limit: int = 50
    offset: int = 0


class LeadRepository:
    def __init__(self, session: Session):
        self.session = session
        self.seen: dict[str, Lead] = {}

    def add(self, lead: Lead) -> None:
        self.session.add(lead)
        self.seen[lead.id] = lead

    def get(self, lead_id: str) -> Lead | None:
        lead = self.session.get(Lead, lead_id)
        if lead is not None:
            self.seen[lead.id] = lead
        return lead

    def list(self, query: LeadQuery) -> tuple[list[Lead], int]:
        conditions = []
        if query.status:
            conditions.append(leads.c.status == query.status)
        if query.owner_id:
            conditions.append(leads.c.owner_id == query.owner_id)
        if query.channel:
            conditions.append(leads.c.channel == query.channel)
        if query.visible_to_owner:
            # A rep sees the pool and their own leads, never another rep's.
            conditions.append((leads.c.status == "pool") | (leads.c.owner_id == query.visible_to_owner))
        total = self.session.execute(select(func.count()).select_from(leads).where(*conditions)).scalar_one()
        rows = self.session.scalars(
            select(Lead)
            .where(*conditions)
            .order_by(leads.c.created_at.desc(), leads.c.id)
            .limit(query.limit)
            .offset(query.offset)
        ).all()
        return list(rows), total
