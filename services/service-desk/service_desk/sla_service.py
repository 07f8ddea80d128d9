"""The use cases of SLA: calendars and policies, a ticket's SLA state, and the job announcing warnings and breaches."""
from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm.exc import StaleDataError

from crm_shared.auth import ADMIN, SERVICE_AGENT, SERVICE_MANAGER, Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError, Conflict, NotFound
from crm_shared.scheduler import Every, TimedJob
from crm_shared.versioning import VersionMismatch, check_version
from service_desk.sla import (
    BREACH_KIND,
    REASSIGN_TO_GROUP,
    RESOLUTION,
    WARNING_KIND,
    SlaCalendar,
    SlaPolicy,
    TicketSla,
    compute_sla,
    due_escalations,
)
from service_desk.sla_events import sla_crossed
from service_desk.uow import ServiceDeskUnitOfWork

log = logging.getLogger(__name__)

UowFactory = Callable[[], ServiceDeskUnitOfWork]
# Who sees calendars and policies (agents, to understand their deadlines), and who changes them.
READERS = (ADMIN, SERVICE_AGENT, SERVICE_MANAGER)
EDITORS = (ADMIN, SERVICE_MANAGER)
WATCH_JOB = "service_desk.sla.watch"
WATCH_BATCH = 200


class InvalidSla(APIError):
    def __init__(self, errors: dict[str, list[str]]):
        summary = "; ".join(f"{field}: {messages[0]}" for field, messages in errors.items())
        super().__init__(422, "validation_failed", f"Some fields are not valid. {summary}", errors)


# -- calendars -------------------------------------------------------------------------------------------


def _checked_calendar(calendar: SlaCalendar) -> SlaCalendar:
    try:
        ZoneInfo(calendar.timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidSla({"timezone": ["Not a known IANA time zone, such as Asia/Shanghai."]}) from error
    try:
        calendar.calendar()
    except ValueError as error:
        raise InvalidSla({"weekly_hours": [str(error)]}) from error
    both = set(calendar.holidays) & set(calendar.extra_working_days)
    if both:
        raise InvalidSla({"extra_working_days": [f"{min(both).isoformat()} is also a holiday."]})
    return calendar


def _name_taken(what: str) -> Conflict:
    return Conflict(f"{what}_name_taken", f"Another {what.replace('_', ' ')} already has this name.")


def list_calendars(uow_factory: UowFactory) -> list[SlaCalendar]:
    with uow_factory() as uow:
        return uow.sla.calendars()


def get_calendar(uow_factory: UowFactory, calendar_id: str) -> SlaCalendar:
    with uow_factory() as uow:
        calendar = uow.sla.calendar(calendar_id)
        if calendar is None:
            raise NotFound("calendar", calendar_id)
        return calendar


def create_calendar(uow_factory: UowFactory, fields: dict, actor: Identity) -> SlaCalendar:
    """A new calendar; 409 `calendar_name_taken` if the name is in use."""
    calendar = _checked_calendar(SlaCalendar(id=str(uuid.uuid4()), **fields))
    with uow_factory() as uow:
        if uow.sla.calendar_name_taken(calendar.name):
            raise _name_taken("calendar")
        uow.sla.add_calendar(calendar, actor.user_id, utc_now())
        # SLA settings publish no events; the audit log keeps who set the clock's rules.
        uow.audit_change("sla_calendar", calendar.id, "created", fields)
        uow.commit()
    return calendar


def edit_calendar(uow_factory: UowFactory, calendar_id: str, changes: dict, read_version: int,
                  actor: Identity) -> SlaCalendar:
    """Change some fields of the calendar the caller read at `read_version` (412 if it changed since)."""
    with uow_factory() as uow:
        current = uow.sla.calendar(calendar_id)
        if current is None:
            raise NotFound("calendar", calendar_id)
        check_version("calendar", read_version, current.version)
        calendar = _checked_calendar(replace(current, **changes, version=read_version + 1))
        if "name" in changes and uow.sla.calendar_name_taken(calendar.name, other_than=calendar_id):
            raise _name_taken("calendar")
        if not uow.sla.save_calendar(calendar, read_version, actor.user_id, utc_now()):
            raise VersionMismatch("calendar")
        uow.audit_change("sla_calendar", calendar_id, "updated", changes)
        uow.commit()
    return calendar


def delete_calendar(uow_factory: UowFactory, calendar_id: str, read_version: int) -> None:
    """Delete a calendar no policy names; 409 `calendar_in_use` otherwise."""
    with uow_factory() as uow:
        current = uow.sla.calendar(calendar_id)
        if current is None:
            raise NotFound("calendar", calendar_id)
        check_version("calendar", read_version, current.version)
        if uow.sla.calendar_in_use(calendar_id):
            raise Conflict("calendar_in_use", "A policy counts its time in this calendar; change the policy first.")
        if not uow.sla.delete_calendar(calendar_id, read_version):
            raise VersionMismatch("calendar")
        uow.audit_change("sla_calendar", calendar_id, "deleted", {"name": current.name})
        uow.commit()


# -- policies --------------------------------------------------------------------------------------------


def _checked_policy(uow: ServiceDeskUnitOfWork, policy: SlaPolicy) -> SlaPolicy:
    if policy.calendar_id is not None and uow.sla.calendar(policy.calendar_id) is None:
        raise InvalidSla({"calendar_id": ["No calendar with this id."]})
    if all(minutes is None for minutes in policy.targets.values()):
        raise InvalidSla({"targets": ["Give at least one target."]})
    for index, level in enumerate(policy.escalation_levels):
        if policy.targets.get(level.target) is None:
            raise InvalidSla({f"escalation_levels.{index}.target": [
                f"The policy has no {level.target.replace('_', ' ')} target to escalate on."]})
        for action in level.actions:
            group_id = action.removeprefix(REASSIGN_TO_GROUP)
            if action.startswith(REASSIGN_TO_GROUP) and uow.workflow.group(group_id) is None:
                raise InvalidSla({f"escalation_levels.{index}.actions": [f"No agent group with id {group_id}."]})
    return policy


def list_policies(uow_factory: UowFactory) -> list[SlaPolicy]:
    with uow_factory() as uow:
        return uow.sla.policies()


def get_policy(uow_factory: UowFactory, policy_id: str) -> SlaPolicy:
    with uow_factory() as uow:
        policy = uow.sla.policy(policy_id)
        if policy is None:
            raise NotFound("policy", policy_id)
        return policy


def create_policy(uow_factory: UowFactory, fields: dict, actor: Identity) -> SlaPolicy:
    """A new policy; 409 `policy_name_taken` if the name is in use, 422 for an unknown calendar."""
    policy = SlaPolicy(id=str(uuid.uuid4()), **fields)
    with uow_factory() as uow:
        _checked_policy(uow, policy)
        if uow.sla.policy_name_taken(policy.name):
            raise _name_taken("policy")
        uow.sla.add_policy(policy, actor.user_id, utc_now())
        uow.audit_change("sla_policy", policy.id, "created", fields)
        uow.commit()
    return policy


def edit_policy(uow_factory: UowFactory, policy_id: str, changes: dict, read_version: int,
                actor: Identity) -> SlaPolicy:
    """Change some fields of the policy the caller read at `read_version` (412 if it changed since)."""
    with uow_factory() as uow:
        current = uow.sla.policy(policy_id)
        if current is None:
            raise NotFound("policy", policy_id)
        check_version("policy", read_version, current.version)
        if "targets" in changes:
            changes = {**changes, "targets": {**current.targets, **changes["targets"]}}
        policy = _checked_policy(uow, replace(current, **changes, version=read_version + 1))
        if "name" in changes and uow.sla.policy_name_taken(policy.name, other_than=policy_id):
            raise _name_taken("policy")
        if not uow.sla.save_policy(policy, read_version, actor.user_id, utc_now()):
            raise VersionMismatch("policy")
        uow.audit_change("sla_policy", policy_id, "updated", changes)
        uow.commit()
    return policy


def delete_policy(uow_factory: UowFactory, policy_id: str, read_version: int) -> None:
    with uow_factory() as uow:
        current = uow.sla.policy(policy_id)
        if current is None:
            raise NotFound("policy", policy_id)
        check_version("policy", read_version, current.version)
        if not uow.sla.delete_policy(policy_id, read_version):
            raise VersionMismatch("policy")
        uow.audit_change("sla_policy", policy_id, "deleted", {"name": current.name})
        uow.commit()


# -- a ticket's SLA --------------------------------------------------------------------------------------


def _compute_many(uow: ServiceDeskUnitOfWork, tickets: list, now: datetime) -> dict[str, TicketSla]:
    if not tickets:
        return {}
    policies = uow.sla.policies(active_only=True)
    calendars = {calendar.id: calendar for calendar in uow.sla.calendars()}
    histories = uow.ticket_history.of_tickets([ticket.id for ticket in tickets])
    levels = uow.sla.levels_of([ticket.customer_id for ticket in tickets if ticket.customer_id])
    return {
        ticket.id: compute_sla(
            histories.get(ticket.id, []), priority=ticket.priority, category=getattr(ticket, "category", None),
            customer_level=levels.get(ticket.customer_id), policies=policies, calendars=calendars, now=now,
        )
        for ticket in tickets
    }


def ticket_sla(uow: ServiceDeskUnitOfWork, ticket, now: datetime | None = None) -> TicketSla:
    """The ticket's SLA at `now` (default: the current time), inside the caller's unit of work."""
    now = now or utc_now()
    return _compute_many(uow, [ticket], now)[ticket.id]


def sla_for_tickets(uow: ServiceDeskUnitOfWork, tickets: list, now: datetime | None = None) -> dict[str, dict]:
    """The `sla` object of each ticket read, as the API shows it (None where no policy applies)."""
    from service_desk.sla_schemas import TicketSlaSchema

    schema = TicketSlaSchema()
    computed = _compute_many(uow, list(tickets), now or utc_now())
    return {ticket_id: schema.dump(sla) if sla.metrics else None for ticket_id, sla in computed.items()}


def by_next_deadline(uow: ServiceDeskUnitOfWork, tickets: list, now: datetime | None = None) -> list:
    """The tickets ordered by their nearest running deadline, those without one last (for a queue by urgency).

    Computed, not stored: meant for the open tickets of one queue (hundreds), not for every ticket ever."""
    computed = _compute_many(uow, list(tickets), now or utc_now())
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(tickets, key=lambda ticket: (computed[ticket.id].next_deadline or far, ticket.opened_at, ticket.id))


def get_ticket_sla(uow_factory: UowFactory, ticket_id: str, viewer: Identity) -> TicketSla:
    """The SLA of a ticket the viewer may see (404 otherwise, as for the ticket itself)."""
    from service_desk import service

    with uow_factory() as uow:
        return ticket_sla(uow, service.visible_ticket(uow, ticket_id, viewer))


# -- announcing warnings and breaches ---------------------------------------------------------------------


def _crossings(sla: TicketSla) -> Iterable[tuple]:
    for metric in sla.metrics.values():
        breach_cycle = metric.breach_cycle if metric.metric == RESOLUTION else metric.cycle
        warning_cycle = metric.warning_cycle if metric.metric == RESOLUTION else metric.cycle
        if metric.breached_at is not None:
            yield metric, BREACH_KIND, breach_cycle, metric.breached_at
        # A warning the job learns of only after the breach in the same cycle would be news of the past.
        if metric.warning_at is not None and not (metric.breached_at is not None and breach_cycle == warning_cycle):
            yield metric, WARNING_KIND, warning_cycle, metric.warning_at


def announce_sla_crossings(uow_factory: UowFactory, now: datetime, batch: int = WATCH_BATCH) -> int:
    """Publish a warning or breach event once per (ticket, metric, kind, cycle) for the tickets still running,
    then fire the policies' escalation levels the tickets reached. Returns the warnings and breaches announced.

    The notice row and the event commit together; a second worker's insert of the same row waits for the
    first one's transaction and then finds it, so it publishes nothing."""
    announced, after_id, to_escalate = 0, None, []
    while True:
        with uow_factory() as uow:
            ids = uow.sla.running_ticket_ids(after_id, batch)
            tickets = {ticket.id: ticket for ticket in map(uow.tickets.get, ids) if ticket is not None}
            computed = _compute_many(uow, list(tickets.values()), now)
            for ticket_id, sla in computed.items():
                ticket = tickets[ticket_id]
                for metric, kind, cycle, crossed_at in _crossings(sla):
                    if uow.sla.record_notice(ticket.id, metric.metric, kind, cycle, crossed_at, now):
                        uow.emit(sla_crossed(ticket, metric, kind, cycle, crossed_at))
                        announced += 1
            to_escalate.extend(_not_yet_escalated(uow, computed))
            uow.commit()
        if len(ids) < batch:
            break
        after_id = ids[-1]
    escalated = escalate_reached_levels(uow_factory, to_escalate, now)
    if escalated:
        log.info("fired %d SLA escalation levels", escalated)
    return announced


def _not_yet_escalated(uow: ServiceDeskUnitOfWork, computed: dict[str, TicketSla]) -> list[str]:
    """The tickets that reached an escalation level of their policy which has not fired yet."""
    policies = {policy.id: policy for policy in uow.sla.policies(active_only=True) if policy.escalation_levels}
    if not policies:
        return []
    reached = {ticket_id: due_escalations(sla, policies) for ticket_id, sla in computed.items()}
    fired = uow.sla.fired_escalations([ticket_id for ticket_id, due in reached.items() if due])
    return [ticket_id for ticket_id, due in reached.items()
            if any((ticket_id, level.target, level.key, cycle) not in fired for _, level, cycle in due)]


def escalate_reached_levels(uow_factory: UowFactory, ticket_ids: Iterable[str], now: datetime) -> int:
    """Fire the escalation levels each ticket reached, one transaction per ticket (its actions change it).
    Returns the levels fired; a level another worker fired already is skipped by its claim."""
    # Imported here: escalation reads a ticket's facts, and those read the SLA from this module.
    from service_desk.escalation import escalate_by_policy

    fired = 0
    for ticket_id in ticket_ids:
        try:
            with uow_factory() as uow:
                ticket = uow.tickets.get(ticket_id)
                if ticket is None:
                    continue
                policies = {policy.id: policy for policy in uow.sla.policies(active_only=True)}
                due = due_escalations(ticket_sla(uow, ticket, now), policies)
                count = sum(escalate_by_policy(uow, ticket, policy.id, level, cycle, now)
                            for policy, level, cycle in due)
                if count:
                    uow.commit()
                    fired += count
        except StaleDataError:
            # Someone changed the ticket meanwhile: nothing was kept, and the next run looks again.
            log.info("SLA escalation skipped ticket %s, changed meanwhile", ticket_id)
    return fired


def sla_jobs(uow_factory: UowFactory) -> list[TimedJob]:
    """For the worker: every minute, announce the warnings and breaches that happened since."""

    def watch(due_at: datetime) -> None:
        count = announce_sla_crossings(uow_factory, due_at)
        if count:
            log.info("announced %d SLA warnings and breaches", count)

    return [TimedJob(WATCH_JOB, Every(timedelta(minutes=1)), watch)]


def register_sla_reader() -> None:
    """Let ticket reads show each ticket's `sla` object (once per process)."""
    from service_desk import ticket_hooks

    if sla_for_tickets not in ticket_hooks.SLA_READERS:
        ticket_hooks.SLA_READERS.append(sla_for_tickets)
