"""Escalation: who hears of a ticket at each level, raising its priority and reassigning it; fired by workflow
rules (levels 1-3, once per ticket, level and cycle) and by SLA policies' levels (once per ticket, target, level
and cycle), both through the same actions below."""
from __future__ import annotations

import logging
from datetime import datetime

from crm_shared.assignment import Assignment
from service_desk import ticket_changes
from service_desk.assignment_service import choose_agent
from service_desk.sla import (
    BREACH_AT,
    NOTIFY_ASSIGNEE,
    NOTIFY_MANAGER,
    NOTIFY_TEAM_LEAD,
    RAISE_PRIORITY,
    REASSIGN_TO_GROUP,
    EscalationLevel,
)
from service_desk.ticket_facts import cycle_of, history_of
from service_desk.workflow_events import notification_requested, ticket_escalated
from service_desk.workflow_repository import WorkflowRepository

log = logging.getLogger(__name__)

SERVICE_MANAGER = "service_manager"
# One step up per escalation; urgent is as high as it goes.
HIGHER_PRIORITY = {"low": "normal", "normal": "high", "high": "urgent"}
# The notify actions of an SLA policy's level, as the rules' levels.
NOTIFY_LEVELS = {NOTIFY_ASSIGNEE: 1, NOTIFY_TEAM_LEAD: 2, NOTIFY_MANAGER: 3}


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


def raise_priority_of(ticket, now: datetime, *, rule_id: str | None) -> None:
    """One step up, unless it is urgent already."""
    if ticket.priority in HIGHER_PRIORITY:
        ticket_changes.set_priority(ticket, HIGHER_PRIORITY[ticket.priority], now, rule_id=rule_id)


def reassign_in_group(uow, ticket, group_id: str, now: datetime, *, rule_id: str | None) -> None:
    """Give the ticket to someone else in `group_id` (by the group's method). Within its own group, nobody free
    leaves it where it is; another group with nobody free takes it unassigned, to be assigned there later."""
    outcome = choose_agent(uow.workflow, group_id, ticket_id=ticket.id, category=ticket.category,
                           waited=now - ticket.opened_at, exclude=[ticket.assignee_id] if ticket.assignee_id else ())
    if isinstance(outcome, Assignment):
        ticket_changes.assign(ticket, outcome.assignee_id, group_id, now, rule_id=rule_id)
        return
    log.info("escalation of ticket %s could not reassign it in group %s: %s", ticket.id, group_id, outcome.reason)
    if group_id != ticket.group_id:
        ticket_changes.assign(ticket, None, group_id, now, rule_id=rule_id)


def _announce(uow, ticket, now: datetime, *, level: int | None, cycle: int, recipients: list[str],
              rule_id: str | None, detail: dict, policy_id: str | None = None, sla_level: dict | None = None,
              reason: str) -> None:
    """The history row, the escalated event and the notification of one escalation."""
    ticket_changes.record(ticket, "escalated", now, rule_id=rule_id,
                          detail={"level": level, "cycle": cycle, "recipients": recipients, **detail})
    uow.emit(ticket_escalated(ticket.id, level, cycle, recipients, rule_id=rule_id, at=now, policy_id=policy_id,
                              sla_level=sla_level))
    if recipients:
        uow.emit(notification_requested(ticket.id, recipients, reason, rule_id=rule_id, level=level, at=now))


def escalate(uow, ticket, level: int, *, rule_id: str | None, now: datetime, reassign: bool = False,
             raise_priority: bool = False) -> bool:
    """A workflow rule's escalation to `level` unless it was this cycle already; True if it fired now."""
    cycle = cycle_of(history_of(uow, ticket))
    if not uow.workflow.claim_escalation(ticket.id, level, cycle, rule_id, now):
        return False
    _announce(uow, ticket, now, level=level, cycle=cycle, recipients=recipients_at(uow.workflow, ticket, level),
              rule_id=rule_id, detail={}, reason=f"escalated to level {level}")
    if raise_priority:
        raise_priority_of(ticket, now, rule_id=rule_id)
    if reassign and ticket.group_id:
        reassign_in_group(uow, ticket, ticket.group_id, now, rule_id=rule_id)
    return True


def escalate_by_policy(uow, ticket, policy_id: str, level: EscalationLevel, cycle: int, now: datetime) -> bool:
    """An SLA policy's escalation level for the ticket's target and cycle, unless it fired already; True if now.

    The notify actions tell the people the rules' levels 1-3 would; the history row names the policy."""
    if not uow.sla.claim_escalation(ticket.id, level.target, level.key, cycle, policy_id, now):
        return False
    notified = [NOTIFY_LEVELS[action] for action in level.actions if action in NOTIFY_LEVELS]
    recipients: list[str] = []
    for step in sorted(notified):
        recipients.extend(user for user in recipients_at(uow.workflow, ticket, step) if user not in recipients)
    highest = max(notified, default=None)
    share = BREACH_AT if level.at == BREACH_AT else f"{level.at}%"
    _announce(uow, ticket, now, level=highest, cycle=cycle, recipients=recipients, rule_id=None,
              detail={"policy_id": policy_id, "sla_level": level.as_dict()}, policy_id=policy_id,
              sla_level=level.as_dict(), reason=f"SLA {level.target.replace('_', ' ')} at {share}")
    for action in level.actions:
        if action == RAISE_PRIORITY:
            raise_priority_of(ticket, now, rule_id=None)
        elif action.startswith(REASSIGN_TO_GROUP):
            reassign_in_group(uow, ticket, action.removeprefix(REASSIGN_TO_GROUP), now, rule_id=None)
    return True
