"""The timed jobs of workflow rules: scheduled rules, and handing back tickets their assignee did not touch."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy.orm.exc import StaleDataError

from crm_shared.scheduler import Every, TimedJob
from service_desk import ticket_changes, ticket_hooks
from service_desk.rule_engine import apply_rules, run_rules_after_change
from service_desk.rules import ON_SCHEDULE, ON_UPDATE
from service_desk.ticket_facts import assigned_at, history_of, touched_by
from service_desk.workflow_events import ticket_handed_back

log = logging.getLogger(__name__)

SCHEDULED_RULES_JOB = "service_desk.workflow.scheduled_rules"
ASSIGNMENT_TIMEOUT_JOB = "service_desk.workflow.assignment_timeout"
HANDED_BACK = "handed_back"
EVERY_MINUTE = Every(timedelta(minutes=1))


def register_rule_hooks() -> None:
    """Let ticket use cases run the on_create / on_update rules in their own transaction (once per process)."""
    if run_rules_after_change not in ticket_hooks.AFTER_CHANGE:
        ticket_hooks.AFTER_CHANGE.append(run_rules_after_change)


def run_scheduled_rules(uow_factory: Callable, now: datetime) -> int:
    """Apply the scheduled rules to every ticket not closed; one transaction per ticket. Returns rules applied.

    Safe to run from two workers at once: each (rule, ticket, window) is claimed by a unique row written with
    the rule's changes, so the second run finds the claim taken and changes nothing.
    """
    with uow_factory() as uow:
        rules = uow.workflow.rules(ON_SCHEDULE, active_only=True)
        ticket_ids = uow.workflow.tickets_for_schedule() if rules else []
    applied = 0
    for ticket_id in ticket_ids:
        try:
            with uow_factory() as uow:
                ticket = uow.tickets.get(ticket_id)
                if ticket is None:
                    continue
                matched = apply_rules(uow, ticket, rules, now)
                if matched:
                    uow.commit()
                    applied += len(matched)
        except StaleDataError:
            # Someone changed the ticket meanwhile: nothing was kept, and the next tick looks again.
            log.info("scheduled rules skipped ticket %s, changed meanwhile", ticket_id)
    return applied


def hand_back_untouched(uow_factory: Callable, now: datetime) -> list[str]:
    """Hand back tickets whose assignee neither replied nor moved them within the group's timeout, and let the
    on_update rules assign them again (to someone else). Returns the ids handed back."""
    with uow_factory() as uow:
        candidates = uow.workflow.assigned_in_timed_groups()
    handed_back = []
    for ticket_id, timeout_minutes in candidates:
        try:
            with uow_factory() as uow:
                ticket = uow.tickets.get(ticket_id)
                if ticket is None or ticket.assignee_id is None:
                    continue
                history = history_of(uow, ticket)
                agent_id, group_id = ticket.assignee_id, ticket.group_id
                since = assigned_at(history, agent_id)
                if since is None or now - since < timedelta(minutes=timeout_minutes) or touched_by(history, agent_id,
                                                                                                    since):
                    continue
                ticket_changes.assign(ticket, None, group_id, now, rule_id=None)
                ticket_changes.record(ticket, HANDED_BACK, now, rule_id=None,
                                      detail={"agent_id": agent_id, "assigned_at": since.isoformat(),
                                              "timeout_minutes": timeout_minutes})
                uow.emit(ticket_handed_back(ticket.id, agent_id, group_id, since, now))
                apply_rules(uow, ticket, uow.workflow.rules(ON_UPDATE, active_only=True), now,
                            exclude_agents=[agent_id])
                uow.commit()
                handed_back.append(ticket_id)
        except StaleDataError:
            log.info("assignment timeout skipped ticket %s, changed meanwhile", ticket_id)
    return handed_back


def jobs(uow_factory: Callable) -> list[TimedJob]:
    """The worker's timed jobs of the workflow: both every minute."""
    return [
        TimedJob(SCHEDULED_RULES_JOB, EVERY_MINUTE, lambda due_at: run_scheduled_rules(uow_factory, due_at)),
        TimedJob(ASSIGNMENT_TIMEOUT_JOB, EVERY_MINUTE, lambda due_at: hand_back_untouched(uow_factory, due_at)),
    ]
