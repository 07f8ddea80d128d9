"""Escalation levels: who hears of a ticket at each level, once per ticket, level and cycle; raise and reassign."""
from __future__ import annotations

import logging
from datetime import datetime

from crm_shared.assignment import Assignment
from service_desk import ticket_changes
from service_desk.assignment_service import choose_agent
from service_desk.ticket_facts import cycle_of, history_of
from service_desk.workflow_events import notification_requested, ticket_escalated
from service_desk.workflow_repository import WorkflowRepository

log = logging.getLogger(__name__)

SERVICE_MANAGER = "service_manager"
# One step up per escalation; urgent is as high as it goes.
HIGHER_PRIORITY = {"low": "normal", "normal": "high", "high": "urgent"}


def recipients_at(repo: WorkflowRepository, ticket, level: int) -> list[str]:
    """Level 1: the assignee; 2: the group's team lead; 3: the service managers. A level with nobody to tell
    moves up to the next that has someone, so an unassigned ticket still reaches a person."""
    for step in range(level, 4):
        if step == 1 and ticket.assignee_id:
            return [ticket.assignee_id]
        if step == 2 and ticket.group_id:
            group = repo.group(ticket.group_id)
            if group is not None and group["team_lead_id"]:
                return [group["team_lead_id"]]
        if step == 3:
            return [user["user_id"] for user in repo.users_with_role(SERVICE_MANAGER)]
    return []


def escalate(uow, ticket, level: int, *, rule_id: str | None, now: datetime, reassign: bool = False,
             raise_priority: bool = False) -> bool:
    """Escalate the ticket to `level` unless it was this cycle already; True if it fired now."""
    cycle = cycle_of(history_of(uow, ticket))
    if not uow.workflow.claim_escalation(ticket.id, level, cycle, rule_id, now):
        return False
    recipients = recipients_at(uow.workflow, ticket, level)
    ticket_changes.record(ticket, "escalated", now, rule_id=rule_id,
                          detail={"level": level, "cycle": cycle, "recipients": recipients})
    uow.emit(ticket_escalated(ticket.id, level, cycle, recipients, rule_id=rule_id, at=now))
    if recipients:
        uow.emit(notification_requested(ticket.id, recipients, f"escalated to level {level}", rule_id=rule_id,
                                        level=level, at=now))
    if raise_priority and ticket.priority in HIGHER_PRIORITY:
        ticket_changes.set_priority(ticket, HIGHER_PRIORITY[ticket.priority], now, rule_id=rule_id)
    if reassign and ticket.group_id:
        outcome = choose_agent(uow.workflow, ticket.group_id, ticket_id=ticket.id, category=ticket.category,
                               waited=now - ticket.opened_at, exclude=[ticket.assignee_id] if ticket.assignee_id else ())
        if isinstance(outcome, Assignment):
            ticket_changes.assign(ticket, outcome.assignee_id, ticket.group_id, now, rule_id=rule_id)
        else:
            log.info("escalation of ticket %s could not reassign it: %s", ticket.id, outcome.reason)
    return True
