"""Loading and saving what recycling keeps per lead: locks, open tickets and opportunities, exclusions, warnings sent."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leads.db import claimants, leads
from leads.db_recycling import lead_open_tickets, lead_opportunities, lead_recycle_states, lead_recycle_warnings
from leads.domain import CLAIMED, Lead


@dataclass(frozen=True)
class Exclusions:
    """What keeps one lead out of recycling besides its clocks, as stored now."""

    locked: bool = False
    has_open_ticket: bool = False
    has_open_opportunity: bool = False


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


class RecycleStates:
    def __init__(self, session: Session):
        self.session = session

    # -- locks -------------------------------------------------------------------------------------

    def locked_count(self, owner_id: str, pool_id: str) -> int:
        """How many of the leads `owner_id` owns in `pool_id` they have locked."""
        s = lead_recycle_states
        return self.session.execute(
            select(func.count()).select_from(s).join(leads, leads.c.id == s.c.lead_id)
            .where(s.c.locked_by == owner_id, leads.c.owner_id == owner_id, leads.c.status == CLAIMED,
                   leads.c.pool_id == pool_id)
        ).scalar_one()

    def lock(self, lead_id: str, owner_id: str, now: datetime) -> None:
        s = lead_recycle_states
        statement = _insert(self.session)(s).values(lead_id=lead_id, locked_by=owner_id, locked_at=now)
        self.session.execute(statement.on_conflict_do_update(
            index_elements=[s.c.lead_id], set_={"locked_by": owner_id, "locked_at": now}))

    def unlock(self, lead_id: str) -> None:
        s = lead_recycle_states
        self.session.execute(update(s).where(s.c.lead_id == lead_id).values(locked_by=None, locked_at=None))

    def locked_by(self, lead_id: str) -> str | None:
        s = lead_recycle_states
        return self.session.scalars(select(s.c.locked_by).where(s.c.lead_id == lead_id)).first()

    # -- tickets -----------------------------------------------------------------------------------

    def ticket_opened(self, ticket_id: str, lead_id: str, customer_id: str, at: datetime) -> None:
        """Remember an open ticket of the lead's customer; the same ticket twice, or after its close, changes nothing."""
        t = lead_open_tickets
        self.session.execute(_insert(self.session)(t).values(
            ticket_id=ticket_id, lead_id=lead_id, customer_id=customer_id, opened_at=at,
        ).on_conflict_do_nothing(index_elements=[t.c.ticket_id]))

    def ticket_closed(self, ticket_id: str, lead_id: str, customer_id: str, at: datetime) -> None:
        """The ticket no longer keeps the lead from recycling; heard before its opening, it is written closed."""
        t = lead_open_tickets
        statement = _insert(self.session)(t).values(ticket_id=ticket_id, lead_id=lead_id, customer_id=customer_id,
                                                    closed_at=at)
        self.session.execute(statement.on_conflict_do_update(index_elements=[t.c.ticket_id], set_={"closed_at": at}))

    def ticket_reopened(self, ticket_id: str, at: datetime) -> None:
        """A closed ticket was reopened: it keeps the lead from recycling again (unless closed after `at`)."""
        t = lead_open_tickets
        self.session.execute(update(t).where(t.c.ticket_id == ticket_id, t.c.closed_at <= at).values(closed_at=None))

    def open_tickets(self, lead_id: str) -> int:
        t = lead_open_tickets
        return self.session.execute(
            select(func.count()).where(t.c.lead_id == lead_id, t.c.closed_at.is_(None))).scalar_one()

    # -- opportunities -----------------------------------------------------------------------------

    def opportunity_opened(self, opportunity_id: str, lead_id: str, customer_id: str, at: datetime) -> None:
        """Remember an open opportunity of the lead's customer; twice, or after its close, changes nothing."""
        o = lead_opportunities
        self.session.execute(_insert(self.session)(o).values(
            opportunity_id=opportunity_id, lead_id=lead_id, customer_id=customer_id, opened_at=at,
        ).on_conflict_do_nothing(index_elements=[o.c.opportunity_id]))

    def opportunity_closed(self, opportunity_id: str, lead_id: str, customer_id: str, outcome: str,
                           at: datetime) -> None:
        """Won or lost, the opportunity no longer keeps the lead from recycling."""
        o = lead_opportunities
        statement = _insert(self.session)(o).values(
            opportunity_id=opportunity_id, lead_id=lead_id, customer_id=customer_id, closed_at=at, outcome=outcome)
        self.session.execute(statement.on_conflict_do_update(
            index_elements=[o.c.opportunity_id], set_={"closed_at": at, "outcome": outcome}))

    def open_opportunities(self, lead_id: str) -> int:
        o = lead_opportunities
        return self.session.execute(
            select(func.count()).where(o.c.lead_id == lead_id, o.c.closed_at.is_(None))).scalar_one()

    # -- what the job reads --------------------------------------------------------------------------

    def owned_in_pool(self, pool_id: str, after_id: str, limit: int) -> list[Lead]:
        """Up to `limit` owned leads of `pool_id` with ids after `after_id`, in id order (keyset pagination)."""
        return list(self.session.scalars(
            select(Lead).where(leads.c.pool_id == pool_id, leads.c.status == CLAIMED, leads.c.id > after_id)
            .order_by(leads.c.id).limit(limit)
        ))

    def exclusions(self, leads_by_id: dict[str, Lead]) -> dict[str, Exclusions]:
        """Each lead's stored exclusions; a lock counts only if its current owner set it."""
        ids = list(leads_by_id)
        if not ids:
            return {}
        s, t, o = lead_recycle_states, lead_open_tickets, lead_opportunities
        states = {row.lead_id: row for row in self.session.execute(select(s).where(s.c.lead_id.in_(ids)))}
        ticketed = set(self.session.scalars(
            select(t.c.lead_id).where(t.c.lead_id.in_(ids), t.c.closed_at.is_(None)).distinct()))
        in_deals = set(self.session.scalars(
            select(o.c.lead_id).where(o.c.lead_id.in_(ids), o.c.closed_at.is_(None)).distinct()))
        result = {}
        for lead_id, lead in leads_by_id.items():
            state = states.get(lead_id)
            result[lead_id] = Exclusions(
                locked=bool(state and state.locked_by and state.locked_by == lead.owner_id),
                has_open_ticket=lead_id in ticketed,
                has_open_opportunity=lead_id in in_deals,
            )
        return result

    # -- warnings ------------------------------------------------------------------------------------

    def record_warning(self, key: str, lead_id: str, reminder_id: str, now: datetime) -> bool:
        """Remember a warning by its key; False if it was sent before (then send nothing)."""
        w = lead_recycle_warnings
        inserted = self.session.execute(
            _insert(self.session)(w).values(key=key, lead_id=lead_id, reminder_id=reminder_id, created_at=now)
            .on_conflict_do_nothing(index_elements=[w.c.key]).returning(w.c.key)
        ).first()
        return inserted is not None

    def known_people(self) -> list[str]:
        """Everyone the service has seen a token of: who a lead could be reassigned to."""
        return list(self.session.scalars(select(claimants.c.user_id).order_by(claimants.c.user_id)))

    def warnings_of(self, lead_id: str) -> list[str]:
        w = lead_recycle_warnings
        return list(self.session.scalars(select(w.c.key).where(w.c.lead_id == lead_id).order_by(w.c.created_at)))


def owned_counts(session: Session, owner_ids: Iterable[str]) -> dict[str, int]:
    """How many open leads each of `owner_ids` owns: the load the reassignment balances."""
    ids = list(owner_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(leads.c.owner_id, func.count()).where(leads.c.owner_id.in_(ids), leads.c.status == CLAIMED)
        .group_by(leads.c.owner_id)
    ).all()
    return {owner: count for owner, count in rows}
