"""What workflow rules see of a ticket: its fields, its age, its SLA state, and what its history says."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from service_desk import sla, sla_service

SECONDS_PER_HOUR = 3600
ASSIGNED = "assigned"
REOPENED = "reopened"
# What counts as the assignee touching a ticket: answering the customer, or moving the ticket on.
TOUCHES = ("public_reply", "status_changed")


def ticket_facts(uow, ticket, now: datetime, *, with_sla: bool) -> dict[str, Any]:
    """The facts a rule's conditions are matched against; SLA facts only when a rule asks for them (they cost)."""
    # The level sales gave the customer, as the desk's SLA replica keeps it (None for a customer without one).
    level = uow.sla.levels_of([ticket.customer_id]).get(ticket.customer_id) if ticket.customer_id else None
    updated_at = ticket.updated_at or ticket.opened_at
    facts: dict[str, Any] = {
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category,
        "tags": list(ticket.tags or []),
        "group_id": ticket.group_id,
        "assignee_id": ticket.assignee_id,
        "customer_level": level,
        "channel": ticket.channel,
        "hours_since_opened": (now - ticket.opened_at).total_seconds() / SECONDS_PER_HOUR,
        "hours_since_updated": (now - updated_at).total_seconds() / SECONDS_PER_HOUR,
    }
    if with_sla:
        for metric, values in sla.condition_facts(sla_service.ticket_sla(uow, ticket, now)).items():
            for key, value in values.items():
                facts[f"sla.{metric}.{key}"] = value
    return facts


def uses_sla(node: Mapping[str, Any]) -> bool:
    """Whether a condition tree mentions an SLA fact."""
    if not node:
        return False
    for key in ("all", "any"):
        if key in node:
            return any(uses_sla(child) for child in node[key])
    return str(node.get("field", "")).startswith("sla.")


def assignee_named(entry) -> str | None:
    """The assignee an `assigned` history row gave the ticket (None when it cleared the assignee)."""
    value = entry.new_value
    return value.get("assignee_id") if isinstance(value, dict) else None


def history_of(uow, ticket) -> list:
    """The ticket's history, with the rows this transaction recorded and has not written yet."""
    pending = list(ticket.new_history)
    seqs = {entry.seq for entry in pending}
    return [*(entry for entry in uow.ticket_history.of(ticket.id) if entry.seq not in seqs), *pending]


def assigned_at(history: Iterable, assignee_id: str) -> datetime | None:
    """When the current assignee got the ticket: the last `assigned` row naming them."""
    at = None
    for entry in history:
        if entry.kind == ASSIGNED and assignee_named(entry) == assignee_id:
            at = entry.at
    return at


def touched_by(history: Iterable, agent_id: str, since: datetime) -> bool:
    """Whether the agent answered the customer or moved the ticket on after `since`."""
    return any(entry.kind in TOUCHES and entry.actor_id == agent_id and entry.at >= since for entry in history)


def cycle_of(history: Iterable) -> int:
    """1 for a ticket never reopened; each reopen starts the next cycle (as the SLA counts them)."""
    return 1 + sum(1 for entry in history if entry.kind == REOPENED)
