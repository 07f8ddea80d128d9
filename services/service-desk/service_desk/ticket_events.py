"""The wire form of the ticket's lifecycle events and of return visits (opened/closed stay in events.py)."""
from __future__ import annotations

from crm_shared.envelope import Envelope, format_time
from service_desk.config import EVENT_PREFIX
from service_desk.domain import (
    TicketAssigned,
    TicketRated,
    TicketReopened,
    TicketReplied,
    TicketStatusChanged,
    TicketSubmitted,
    TicketUpdated,
)
from service_desk.return_visits import ReturnVisitCompleted, ReturnVisitScheduled
from service_desk.sla_events import TICKET_SLA_BREACHED, TICKET_SLA_WARNING
from service_desk.workflow_events import TICKET_ESCALATED, TICKET_HANDED_BACK

# A request came in through the public form (no customer yet: an agent links one later).
TICKET_SUBMITTED = f"{EVENT_PREFIX}.ticket.submitted.v1"
TICKET_STATUS_CHANGED = f"{EVENT_PREFIX}.ticket.status_changed.v1"
TICKET_REOPENED = f"{EVENT_PREFIX}.ticket.reopened.v1"
# Public replies only: internal notes are never announced.
TICKET_REPLIED = f"{EVENT_PREFIX}.ticket.replied.v1"
TICKET_ASSIGNED = f"{EVENT_PREFIX}.ticket.assigned.v1"
TICKET_UPDATED = f"{EVENT_PREFIX}.ticket.updated.v1"
TICKET_RATED = f"{EVENT_PREFIX}.ticket.rated.v1"
RETURN_VISIT_SCHEDULED = f"{EVENT_PREFIX}.return_visit.scheduled.v1"
RETURN_VISIT_COMPLETED = f"{EVENT_PREFIX}.return_visit.completed.v1"


# Events that name the customer's owner, so the gateway can show them live to the owning rep and their managers.
# The ticket does not know its customer's owner: the unit of work fills it in from the replica when it writes
# the event (None here and for a ticket with no customer yet, such as a submitted one). The SLA and escalation
# events are emitted by jobs rather than recorded on the ticket; the unit of work fills them in the same way.
NAMES_THE_OWNER = frozenset({TICKET_STATUS_CHANGED, TICKET_REOPENED, TICKET_REPLIED, TICKET_ASSIGNED, TICKET_UPDATED,
                             TICKET_RATED, TICKET_SUBMITTED, TICKET_SLA_WARNING, TICKET_SLA_BREACHED,
                             TICKET_ESCALATED, TICKET_HANDED_BACK})


def _time(value):
    return format_time(value) if value is not None else None


def ticket_envelope(event) -> Envelope | None:
    """The envelope of one of the events above; None for an event this module does not describe."""
    name, payload = _wire(event)
    if name is None:
        return None
    if name in NAMES_THE_OWNER:
        payload["customer_owner_id"] = None
    return Envelope.new(name, payload, producer=EVENT_PREFIX)


def _wire(event) -> tuple[str | None, dict]:
    if isinstance(event, TicketSubmitted):
        t = event.ticket
        return TICKET_SUBMITTED, {"ticket_id": t.id, "number": t.number, "subject": t.subject, "category": t.category,
                                  "priority": t.priority, "status": t.status, "opened_at": _time(t.opened_at)}
    if isinstance(event, TicketStatusChanged):
        t = event.ticket
        return TICKET_STATUS_CHANGED, {
            "ticket_id": t.id, "customer_id": t.customer_id, "from_status": event.from_status,
            "to_status": event.to_status, "changed_by": event.actor_id, "changed_at": _time(event.at),
            "rule_id": event.rule_id, "assignee_id": t.assignee_id, "group_id": t.group_id, "priority": t.priority,
        }
    if isinstance(event, TicketReopened):
        t = event.ticket
        return TICKET_REOPENED, {"ticket_id": t.id, "customer_id": t.customer_id, "from_status": event.from_status,
                                 "reason": event.reason, "reopened_by": event.actor_id,
                                 "reopened_at": _time(event.at)}
    if isinstance(event, TicketReplied):
        t, m = event.ticket, event.message
        return TICKET_REPLIED, {"ticket_id": t.id, "customer_id": t.customer_id, "message_id": m.id,
                                "author_kind": m.author_kind, "author_id": m.author_id,
                                "replied_at": _time(m.created_at), "status": t.status}
    if isinstance(event, TicketAssigned):
        t = event.ticket
        return TICKET_ASSIGNED, {
            "ticket_id": t.id, "customer_id": t.customer_id, "assignee_id": t.assignee_id, "group_id": t.group_id,
            "previous_assignee_id": event.previous_assignee_id, "previous_group_id": event.previous_group_id,
            "assigned_by": event.actor_id, "assigned_at": _time(event.at), "rule_id": event.rule_id,
        }
    if isinstance(event, TicketUpdated):
        t = event.ticket
        return TICKET_UPDATED, {"ticket_id": t.id, "customer_id": t.customer_id, "changes": event.changes,
                                "updated_by": event.actor_id, "updated_at": _time(event.at), "rule_id": event.rule_id}
    if isinstance(event, TicketRated):
        t = event.ticket
        return TICKET_RATED, {"ticket_id": t.id, "customer_id": t.customer_id, "channel": t.channel,
                              "rating": t.satisfaction_rating, "comment": t.satisfaction_comment,
                              "by_customer": bool(t.satisfaction_by_customer), "rated_by": t.satisfaction_rated_by,
                              "rated_at": _time(t.satisfaction_rated_at), "assignee_id": t.assignee_id}
    if isinstance(event, ReturnVisitScheduled):
        v = event.visit
        return RETURN_VISIT_SCHEDULED, {"return_visit_id": v.id, "ticket_id": v.ticket_id,
                                        "customer_id": v.customer_id, "due_at": _time(v.due_at),
                                        "assignee_id": v.assignee_id, "scheduled_by": v.scheduled_by,
                                        "scheduled_at": _time(v.scheduled_at)}
    if isinstance(event, ReturnVisitCompleted):
        v = event.visit
        return RETURN_VISIT_COMPLETED, {"return_visit_id": v.id, "ticket_id": v.ticket_id,
                                        "customer_id": v.customer_id, "outcome": v.outcome,
                                        "completed_by": v.completed_by, "completed_at": _time(v.completed_at)}
    return None, {}
