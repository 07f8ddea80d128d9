"""Running workflow rules on a ticket: match each rule in order, apply its actions, stop where a rule says so."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from crm_shared.assignment import Assignment
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError
from crm_shared.scheduler import Every
from service_desk import ticket_changes
from service_desk.assignment_service import choose_agent
from service_desk.escalation import SERVICE_MANAGER, escalate
from service_desk.rules import ASSIGNEE, ON_SCHEDULE, SERVICE_MANAGERS, TEAM_LEAD, matches
from service_desk.ticket_facts import ticket_facts, uses_sla
from service_desk.workflow_events import notification_requested

log = logging.getLogger(__name__)


def run_rules_after_change(uow, ticket, trigger: str, actor=None) -> list[str]:
    """The hook S1's ticket use cases call before committing: the active rules of `trigger`, in the same transaction."""
    return apply_rules(uow, ticket, uow.workflow.rules(trigger, active_only=True), utc_now())


def apply_rules(uow, ticket, rules: Iterable[Mapping[str, Any]], now: datetime, *,
                exclude_agents: Iterable[str] = ()) -> list[str]:
    """Apply each matching rule's actions in order; returns the ids of the rules that matched.

    Later rules see the changes of earlier ones. A scheduled rule also claims (rule, ticket, window): only the
    run that wins the claim applies it, so two workers running the schedule at once apply it once.
    """
    matched = []
    # Facts hold until a rule changes the ticket; the SLA ones (which cost) are added when a rule first needs them.
    facts, facts_have_sla = None, False
    for rule in rules:
        needs_sla = uses_sla(rule["conditions"])
        if facts is None or (needs_sla and not facts_have_sla):
            facts, facts_have_sla = ticket_facts(uow, ticket, now, with_sla=needs_sla), needs_sla
        if not matches(rule["conditions"], facts):
            continue
        if rule["trigger"] == ON_SCHEDULE:
            window = Every(timedelta(minutes=rule["interval_minutes"])).latest_due(now)
            if not uow.workflow.claim_rule_run(rule["id"], ticket.id, window, now):
                if rule["stop_after_match"]:
                    break
                continue
        for action in rule["actions"]:
            _apply(uow, ticket, action, rule["id"], now, exclude_agents)
        matched.append(rule["id"])
        facts = None
        if rule["stop_after_match"]:
            break
    return matched


def _apply(uow, ticket, action: Mapping[str, Any], rule_id: str, now: datetime, exclude_agents) -> None:
    kind = action["type"]
    if kind == "assign_group":
        outcome = choose_agent(uow.workflow, action["group_id"], ticket_id=ticket.id, category=ticket.category,
                               waited=now - ticket.opened_at, method=action.get("method"),
                               required_skills=action.get("required_skills"), exclude=exclude_agents)
        if isinstance(outcome, Assignment):
            ticket_changes.assign(ticket, outcome.assignee_id, action["group_id"], now, rule_id=rule_id)
        else:
            # Queued in the group with nobody on it; a scheduled rule may try again (skills loosen with the wait).
            log.info("rule %s: nobody in group %s takes ticket %s: %s", rule_id, action["group_id"], ticket.id,
                     outcome.reason)
            if ticket.group_id != action["group_id"] or ticket.assignee_id is not None:
                ticket_changes.assign(ticket, None, action["group_id"], now, rule_id=rule_id)
    elif kind == "assign_agent":
        if ticket.assignee_id != action["agent_id"]:
            ticket_changes.assign(ticket, action["agent_id"], ticket.group_id, now, rule_id=rule_id)
    elif kind == "set_priority":
        ticket_changes.set_priority(ticket, action["priority"], now, rule_id=rule_id)
    elif kind == "set_status":
        try:
            customer = uow.customers.get(ticket.customer_id) if ticket.customer_id else None
            ticket_changes.set_status(ticket, action["status"], now, rule_id=rule_id, customer=customer)
        except APIError as refusal:
            # A rule cannot force an illegal move; the change that triggered it still goes through.
            log.info("rule %s could not move ticket %s to %s: %s", rule_id, ticket.id, action["status"], refusal.code)
    elif kind == "add_tag":
        ticket_changes.add_tag(ticket, action["tag"], now, rule_id=rule_id)
    elif kind == "notify":
        recipients = _recipients(uow, ticket, action["recipients"])
        ticket_changes.record(ticket, "notified", now, rule_id=rule_id,
                              detail={"recipients": recipients, "message": action.get("message")})
        if recipients:
            uow.emit(notification_requested(ticket.id, recipients, action.get("message") or "workflow rule",
                                            rule_id=rule_id, level=None, at=now))
    elif kind == "escalate":
        escalate(uow, ticket, action["level"], rule_id=rule_id, now=now, reassign=action.get("reassign", False),
                 raise_priority=action.get("raise_priority", False))


def _recipients(uow, ticket, names: Iterable[str]) -> list[str]:
    recipients: list[str] = []
    for name in names:
        if name == ASSIGNEE:
            found = [ticket.assignee_id] if ticket.assignee_id else []
        elif name == TEAM_LEAD:
            group = uow.workflow.group(ticket.group_id) if ticket.group_id else None
            found = [group["team_lead_id"]] if group and group["team_lead_id"] else []
        elif name == SERVICE_MANAGERS:
            found = [user["user_id"] for user in uow.workflow.users_with_role(SERVICE_MANAGER)]
        else:
            found = [name.removeprefix("user:")]
        recipients.extend(user_id for user_id in found if user_id not in recipients)
    return recipients
