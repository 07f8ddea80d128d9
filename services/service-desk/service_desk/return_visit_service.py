"""The return-visit use cases: schedule a call back after a ticket was resolved, complete it, list the due ones."""
from __future__ import annotations

from datetime import datetime

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import NotFound
from crm_shared.versioning import stale_write_refused
from service_desk.domain import RETURN_VISIT_COMPLETED, RETURN_VISIT_SCHEDULED
from service_desk.return_visit_repository import ReturnVisitQuery
from service_desk.return_visits import ReturnVisit
from service_desk.service import WORKERS, UowFactory, visible_ticket


def _workable(uow, ticket_id: str, worker: Identity):
    if not worker.has_any(*WORKERS):
        raise NotFound("ticket", ticket_id)
    return visible_ticket(uow, ticket_id, worker)


def schedule(uow_factory: UowFactory, ticket_id: str, due_at: datetime, assignee_id: str, note: str | None,
             scheduler: Identity) -> ReturnVisit:
    """A call back to the customer of a resolved or closed ticket; 409 `ticket_not_resolved` otherwise."""
    now = utc_now()
    with stale_write_refused("ticket"), uow_factory() as uow:
        ticket = _workable(uow, ticket_id, scheduler)
        visit = ReturnVisit.schedule(ticket_id=ticket.id, ticket_number=ticket.number, customer_id=ticket.customer_id,
                                     due_at=due_at, assignee_id=assignee_id, note=note,
                                     scheduled_by=scheduler.user_id, now=now)
        ticket.record_return_visit(RETURN_VISIT_SCHEDULED, scheduler.user_id, now,
                                   {"return_visit_id": visit.id, "due_at": due_at.isoformat(),
                                    "assignee_id": assignee_id})
        uow.return_visits.add(visit)
        uow.commit()
        return visit


def complete(uow_factory: UowFactory, visit_id: str, outcome: str, note: str | None, user: Identity) -> ReturnVisit:
    """Record what came of the visit; 409 `return_visit_completed` the second time."""
    now = utc_now()
    with stale_write_refused("return visit"), uow_factory() as uow:
        visit = uow.return_visits.get(visit_id) if user.has_any(*WORKERS) else None
        if visit is None:
            raise NotFound("return visit", visit_id)
        visit.complete(outcome, note, user.user_id, now)
        ticket = uow.tickets.get(visit.ticket_id)
        ticket.record_return_visit(RETURN_VISIT_COMPLETED, user.user_id, now,
                                   {"return_visit_id": visit.id, "outcome": outcome})
        uow.commit()
        return visit


def of_ticket(uow_factory: UowFactory, ticket_id: str, viewer: Identity) -> list[ReturnVisit]:
    with uow_factory() as uow:
        visible_ticket(uow, ticket_id, viewer)
        items, _ = uow.return_visits.list(ReturnVisitQuery(ticket_id=ticket_id, limit=500))
        return items


def listed(uow_factory: UowFactory, query: ReturnVisitQuery, viewer: Identity) -> tuple[list[ReturnVisit], int]:
    """Return visits by status, assignee and due time (the desk's people)."""
    with uow_factory() as uow:
        return uow.return_visits.list(query)
