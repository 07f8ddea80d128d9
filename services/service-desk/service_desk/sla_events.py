"""The SLA events the service desk publishes: a ticket nearing a deadline, and a ticket past one."""
from __future__ import annotations

from datetime import datetime

from crm_shared.envelope import Envelope, format_time
from service_desk.config import EVENT_PREFIX
from service_desk.sla import BREACH_KIND, MetricSla

# Published once per ticket, metric and cycle, when the elapsed business time reaches the policy's warning share.
TICKET_SLA_WARNING = f"{EVENT_PREFIX}.ticket.sla_warning.v1"
# Published once per ticket, metric and cycle, when the deadline passes with the metric not met.
TICKET_SLA_BREACHED = f"{EVENT_PREFIX}.ticket.sla_breached.v1"


def sla_crossed(ticket, metric: MetricSla, kind: str, cycle: int, crossed_at: datetime) -> Envelope:
    """The wire form of a warning or breach of one metric of a ticket."""
    payload = {
        "ticket_id": ticket.id,
        "customer_id": ticket.customer_id,
        "customer_owner_id": None,  # the unit of work fills it in from the replica
        "metric": metric.metric,
        "cycle": cycle,
        "policy_id": metric.policy_id,
        "target_minutes": metric.target_minutes,
        "deadline": format_time(metric.deadline) if metric.deadline else None,
        "assignee_id": getattr(ticket, "assignee_id", None),
        "group_id": getattr(ticket, "group_id", None),
        "priority": ticket.priority,
    }
    if kind == BREACH_KIND:
        return Envelope.new(TICKET_SLA_BREACHED, {**payload, "breached_at": format_time(crossed_at)},
                            producer=EVENT_PREFIX)
    return Envelope.new(TICKET_SLA_WARNING, {**payload, "warning_at": format_time(crossed_at)}, producer=EVENT_PREFIX)
