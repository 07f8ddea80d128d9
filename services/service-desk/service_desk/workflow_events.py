"""The events of workflow rules, escalation and assignment timeouts: names and payloads (examples in contracts/)."""
from __future__ import annotations

from datetime import datetime

from crm_shared.envelope import Envelope, format_time
from service_desk.config import EVENT_PREFIX

# Someone should look at a ticket: a notification service (or the web app) tells the recipients.
NOTIFICATION_REQUESTED = f"{EVENT_PREFIX}.notification.requested.v1"
TICKET_ESCALATED = f"{EVENT_PREFIX}.ticket.escalated.v1"
# The assignee did not touch the ticket in time: it goes back to its group, to be assigned again.
TICKET_HANDED_BACK = f"{EVENT_PREFIX}.ticket.handed_back.v1"


def notification_requested(ticket_id: str, recipients: list[str], reason: str, *, rule_id: str | None,
                           level: int | None, at: datetime) -> Envelope:
    payload = {
        "ticket_id": ticket_id,
        "recipients": recipients,
        "reason": reason,
        "rule_id": rule_id,
        "level": level,
        "requested_at": format_time(at),
    }
    return Envelope.new(NOTIFICATION_REQUESTED, payload, producer=EVENT_PREFIX)


def ticket_escalated(ticket_id: str, level: int | None, cycle: int, recipients: list[str], *, rule_id: str | None,
                     at: datetime, policy_id: str | None = None, sla_level: dict | None = None) -> Envelope:
    """A rule's escalation names its `rule_id`; an SLA policy's names `policy_id` and its `sla_level`
    ({at, target, actions}), with `level` the highest notified (1 assignee .. 3 managers; null: none notified)."""
    payload = {
        "ticket_id": ticket_id,
        "customer_owner_id": None,  # the unit of work fills it in from the replica
        "level": level,
        "cycle": cycle,
        "recipients": recipients,
        "rule_id": rule_id,
        "policy_id": policy_id,
        "sla_level": sla_level,
        "escalated_at": format_time(at),
    }
    return Envelope.new(TICKET_ESCALATED, payload, producer=EVENT_PREFIX)


def ticket_handed_back(ticket_id: str, agent_id: str, group_id: str | None, assigned_at: datetime,
                       at: datetime) -> Envelope:
    payload = {
        "ticket_id": ticket_id,
        "customer_owner_id": None,  # the unit of work fills it in from the replica
        "agent_id": agent_id,
        "group_id": group_id,
        "assigned_at": format_time(assigned_at),
        "handed_back_at": format_time(at),
    }
    return Envelope.new(TICKET_HANDED_BACK, payload, producer=EVENT_PREFIX)
